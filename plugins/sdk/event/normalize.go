package event

import (
	"fmt"
	"strings"
	"unicode"
)

// Normalize is what every reader of the wire does after Validate: the
// identity key is derived from the event's own kind, principal,
// fingerprint and host, never taken on the sender's word (events with one
// key and different kinds would merge into one identity), and control
// characters and bidirectional overrides in the names a person reads are
// escaped, so a file named to rewrite a terminal line never reaches one raw.
func (e *Event) Normalize() {
	e.escapeNames()
	if e.Type == TypeNHIObserved && e.Kind != "" {
		e.NHIID = IdentityKey(e.Kind, e.Principal, e.Fingerprint, e.Host)
	}
}

// escapeNames escapes the fields a person reads.
func (e *Event) escapeNames() {
	for _, s := range []*string{&e.Principal, &e.Location, &e.Key, &e.FileOwner, &e.Account, &e.Source, &e.Actor, &e.Host} {
		*s = Escape(*s)
	}
}

// Escape writes control characters and bidirectional formatting
// characters as \n, \t or \u202e; every other character is kept.
func Escape(s string) string {
	if strings.IndexFunc(s, unsafeRune) < 0 {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// unsafeRune: C0 and C1 controls, and the bidi embeddings, overrides and
// isolates (U+202A–U+202E, U+2066–U+2069) that reorder what a terminal shows.
func unsafeRune(r rune) bool {
	return unicode.IsControl(r) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}
