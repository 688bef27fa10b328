package jira

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/nhiradar/nhiradar/collector/ticket"
)

// LabelPrefix starts every correlation label, so NHI Radar's labels are
// recognisable and never collide with a team's own.
const LabelPrefix = "nhi-"

// maxLabel is Jira's label length limit.
const maxLabel = 255

// Label is the deterministic correlation label for key. Jira labels cannot
// contain spaces and JQL would need escaping for quotes, so anything outside
// [A-Za-z0-9._-] becomes '_'; when that (or truncation) changed the key, a
// short hash of the original keeps two different keys from sharing a label.
func Label(key string) string {
	safe := sanitize(key)
	if safe == key && len(LabelPrefix)+len(safe) <= maxLabel {
		return LabelPrefix + safe
	}
	sum := sha256.Sum256([]byte(key))
	suffix := "-" + hex.EncodeToString(sum[:6])
	if room := maxLabel - len(LabelPrefix) - len(suffix); len(safe) > room {
		safe = safe[:room]
	}
	return LabelPrefix + safe + suffix
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			return r
		}
		return '_'
	}, s)
}

// labels is the correlation label first, then the request's own labels made
// valid (spaces are rejected by Jira), without duplicates.
func labels(req ticket.Request) []string {
	out := []string{Label(req.Key)}
	seen := map[string]bool{out[0]: true}
	for _, l := range req.Labels {
		l = sanitize(strings.TrimSpace(l))
		if l == "" || seen[l] || len(l) > maxLabel {
			continue
		}
		seen[l] = true
		out = append(out, l)
	}
	return out
}

// node is one Atlassian Document Format node.
type node struct {
	Type    string `json:"type"`
	Version int    `json:"version,omitempty"`
	Text    string `json:"text,omitempty"`
	Content []node `json:"content,omitempty"`
}

// doc renders plain text as an ADF document: blank lines separate blocks,
// a block whose lines all start with "- " or "* " becomes a bullet list, other
// blocks are paragraphs with hard breaks between their lines.
func doc(text string) node {
	d := node{Type: "doc", Version: 1}
	for _, block := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n\n") {
		lines := nonEmptyLines(block)
		if len(lines) == 0 {
			continue
		}
		if isList(lines) {
			d.Content = append(d.Content, bulletList(lines))
		} else {
			d.Content = append(d.Content, paragraph(lines))
		}
	}
	if len(d.Content) == 0 { // ADF requires at least one block in a doc
		d.Content = []node{{Type: "paragraph"}}
	}
	return d
}

func nonEmptyLines(block string) []string {
	var out []string
	for _, l := range strings.Split(block, "\n") {
		if l = strings.TrimRight(l, " \t"); strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

func isList(lines []string) bool {
	for _, l := range lines {
		if _, ok := listItem(l); !ok {
			return false
		}
	}
	return true
}

func listItem(l string) (string, bool) {
	l = strings.TrimSpace(l)
	if s, ok := strings.CutPrefix(l, "- "); ok {
		return s, true
	}
	return strings.CutPrefix(l, "* ")
}

func bulletList(lines []string) node {
	list := node{Type: "bulletList"}
	for _, l := range lines {
		item, _ := listItem(l)
		list.Content = append(list.Content, node{Type: "listItem", Content: []node{paragraph([]string{item})}})
	}
	return list
}

func paragraph(lines []string) node {
	p := node{Type: "paragraph"}
	for i, l := range lines {
		if i > 0 {
			p.Content = append(p.Content, node{Type: "hardBreak"})
		}
		p.Content = append(p.Content, node{Type: "text", Text: l})
	}
	return p
}

// description is the body plus what the issue has no field for.
func description(req ticket.Request) node {
	var b strings.Builder
	b.WriteString(req.Body)
	b.WriteString("\n\nNHI Radar " + string(req.Type) + " ticket, key " + req.Key)
	if req.Queue != "" {
		b.WriteString("\nQueue: " + req.Queue)
	}
	return doc(b.String())
}
