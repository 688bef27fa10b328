package credfiles

import (
	"bytes"
	"regexp"
	"slices"
	"strings"
)

// maxAnnotations bounds the owner hints one file adds: a file is not a
// directory, and the event's owner_hints have a limit of their own.
const maxAnnotations = 4

// ownerComment is an owner written into a config file as a comment
// ("# Owner: alice", "; owner = alice@example.com", "# X-Owner: platform");
// unitOwner is a systemd unit's X-Owner= key, which systemd leaves to
// tools by design (any X- key is ignored by it).
var (
	ownerComment = regexp.MustCompile(`^(?i)[#;]+\s*(?:x-)?owner\s*[:=]\s*(\S+)`)
	unitOwner    = regexp.MustCompile(`^(?i)x-owner\s*=\s*(\S+)`)
)

// ownerAnnotations returns the owner hints a file's own text gives:
// "owner:<who>" for a comment, "x-owner:<who>" for a unit's X-Owner=.
// Values are one word (an id or an e-mail), so a name's remainder or a
// trailing remark never becomes part of the hint.
func ownerAnnotations(content []byte) []string {
	var out []string
	for line := range bytes.Lines(content) {
		if len(out) == maxAnnotations {
			break
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 || len(line) > maxLine || !strings.ContainsRune("#;xX", rune(line[0])) {
			continue
		}
		l := string(line)
		h := ""
		if m := ownerComment.FindStringSubmatch(l); m != nil {
			h = "owner:" + strings.TrimRight(m[1], ",;.")
		} else if m := unitOwner.FindStringSubmatch(l); m != nil {
			h = "x-owner:" + strings.TrimRight(m[1], ",;.")
		}
		if h != "" && !slices.Contains(out, h) {
			out = append(out, h)
		}
	}
	return out
}
