package content

import (
	"bytes"
	"sort"
	"strings"
)

// lineAround returns the whole line(s) holding data[start:end].
func lineAround(data []byte, start, end int) []byte {
	ls := bytes.LastIndexByte(data[:start], '\n') + 1
	le := len(data)
	if i := bytes.IndexByte(data[end:], '\n'); i >= 0 {
		le = end + i
	}
	return data[ls:le]
}

// keyName returns the variable or field name a secret is assigned to, from
// the text before the secret on its line: `export STRIPE_KEY="` and
// `stripe_key: ` give the name; text without an assignment gives "".
// It is never secret.
func keyName(prefix []byte) string {
	if i := bytes.LastIndexByte(prefix, '\n'); i >= 0 {
		prefix = prefix[i+1:]
	}
	end := len(prefix)
	for end > 0 && (prefix[end-1] == ' ' || prefix[end-1] == '\t' || prefix[end-1] == '"' || prefix[end-1] == '\'') {
		end--
	}
	if end == 0 || prefix[end-1] != '=' && prefix[end-1] != ':' {
		return ""
	}
	for end > 0 && !isNameByte(prefix[end-1]) {
		end--
	}
	start := end
	for start > 0 && isNameByte(prefix[start-1]) {
		start--
	}
	return string(prefix[start:end])
}

func isNameByte(c byte) bool {
	return c == '_' || c == '-' || c == '.' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// dropGenericOverlaps sorts the file's hits, numbers their lines and, as
// gitleaks does, drops a generic rule's hit when a specific rule found a
// secret containing it on the same line.
func (m *matcher) dropGenericOverlaps(data []byte) []hit {
	hs := m.hits
	sort.Slice(hs, func(i, j int) bool { return hs[i].start < hs[j].start })
	line, at := 1, 0
	for i := range hs {
		line += bytes.Count(data[at:hs[i].start], []byte{'\n'})
		at = hs[i].start
		hs[i].line = line
	}
	for i := range hs {
		hs[i].drop = isGeneric(hs[i].rule.RuleID) && shadowed(hs, i)
	}
	out := hs[:0]
	for _, h := range hs {
		if !h.drop {
			out = append(out, h)
		}
	}
	m.hits = out
	return out
}

func isGeneric(id string) bool { return strings.Contains(strings.ToLower(id), "generic") }

func shadowed(hs []hit, i int) bool {
	for j, o := range hs {
		if j != i && o.line == hs[i].line && !isGeneric(o.rule.RuleID) && bytes.Contains(o.secret, hs[i].secret) {
			return true
		}
	}
	return false
}
