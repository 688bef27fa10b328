package content

import (
	"bytes"
	"regexp"

	"github.com/nhiradar/nhiradar/plugins/builtin/internal/principal"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// maxBlockLines bounds how far from a secret its block is searched for a
// principal, each way.
const maxBlockLines = 40

// fieldRe is one `name = value`, `name: value` or `"name": "value"` pair.
var fieldRe = regexp.MustCompile(`["']?([A-Za-z_][A-Za-z0-9_.\-]*)["']?[ \t]*[:=][ \t]*["']?([^"'\s,;#}]+)`)

// principalBeside returns the principal the block around a secret names
// beside it (principal.Fields of its key), or "". The block is
// the secret's line and the lines around it at the same indentation, up
// to a blank line, an INI [section] header or a line indented less (a
// YAML or JSON parent): the same section, adjacent assignments, the same
// object. It runs only for hits, so its cost does not matter.
func principalBeside(data []byte, start int, key string, secret []byte) string {
	if key == "" || principal.Fields(key) == nil {
		return ""
	}
	if p := principal.Find(key, blockFields(data, start)); p != string(secret) {
		return p
	}
	return ""
}

// pairedKind is the kind a paired principal makes of a match: a generic
// secret beside an AWS access key id is that key's secret.
func pairedKind(p string, kind event.Kind) (string, event.Kind) {
	if awsKeyID.MatchString(p) && (kind == event.KindGenericSecret || kind == event.KindAPIKey) {
		kind = event.KindAWSAccessKey
		if p[:4] == "ASIA" {
			kind = event.KindAWSSessionToken
		}
	}
	return p, kind
}

var awsKeyID = regexp.MustCompile(`^(AKIA|ASIA)[A-Z0-9]{16}$`)

// blockFields collects the fields of the block holding offset start,
// normalized name → value.
func blockFields(data []byte, start int) map[string]string {
	ls := bytes.LastIndexByte(data[:start], '\n') + 1
	le := lineEnd(data, ls)
	fields := map[string]string{}
	addFields(fields, data[ls:le])
	indent := indentOf(data[ls:le])
	// Upwards, then downwards, while the lines are the block's siblings.
	for i, e := 0, ls-1; i < maxBlockLines && e > 0; i++ {
		s := bytes.LastIndexByte(data[:e], '\n') + 1
		if !sibling(fields, data[s:e], indent) {
			break
		}
		e = s - 1
	}
	for i, s := 0, le+1; i < maxBlockLines && s < len(data); i++ {
		e := lineEnd(data, s)
		if !sibling(fields, data[s:e], indent) {
			break
		}
		s = e + 1
	}
	return fields
}

// sibling adds a line's fields when it sits at the block's indentation and
// reports whether the block goes on past it: a deeper line (a nested
// object's) is skipped, a blank, shallower or [section] line ends it.
func sibling(fields map[string]string, line []byte, indent int) bool {
	t := bytes.TrimSpace(line)
	if len(t) == 0 || t[0] == '[' && t[len(t)-1] == ']' {
		return false
	}
	switch in := indentOf(line); {
	case in < indent:
		return false
	case in == indent:
		addFields(fields, line)
	}
	return true
}

func addFields(fields map[string]string, line []byte) {
	for _, m := range fieldRe.FindAllSubmatch(line, -1) {
		name := principal.Normalize(string(m[1]))
		if _, ok := fields[name]; !ok {
			fields[name] = string(m[2])
		}
	}
}

func lineEnd(data []byte, from int) int {
	if i := bytes.IndexByte(data[from:], '\n'); i >= 0 {
		return from + i
	}
	return len(data)
}

func indentOf(line []byte) int {
	return len(line) - len(bytes.TrimLeft(line, " \t"))
}
