package content

import (
	"bytes"

	"github.com/zricethezav/gitleaks/v8/config"

	"github.com/nhiradar/nhiradar/plugins/sdk/decoy"
)

const (
	// maxBefore and maxAfter bound a window on very long (minified) lines.
	maxBefore = 512
	maxAfter  = 1024
	// multilineAfter is how far a multi-line rule's window reaches past its
	// keyword (a 4096-bit PEM key is about 3.3 KB).
	multilineAfter = 16 << 10
	// binarySniff is how much of a file is checked for NUL bytes.
	binarySniff = 8000
)

// hit is one rule match inside a file. Secret aliases the file buffer: it is
// fingerprinted by the worker and never kept.
type hit struct {
	rule   *rule
	start  int // offset of the match in the file
	secret []byte
	key    string
	// principal is the identifier the file names beside the secret
	// (client_id, aws_access_key_id, user), or "".
	principal string
	line      int
	drop      bool
}

// matcher is one worker's reusable state.
type matcher struct {
	rs      *Rules
	lower   []byte
	lastEnd []int
	touched []int
	hits    []hit
	skip    []bool
	// keepDecoys turns off the decoy filter (benchmark comparison only).
	keepDecoys bool
}

func newMatcher(rs *Rules) *matcher {
	return &matcher{rs: rs, lastEnd: make([]int, len(rs.rules)), skip: make([]bool, len(rs.rules))}
}

// isBinary reports whether data looks binary (a NUL byte near the start).
func isBinary(data []byte) bool {
	return bytes.IndexByte(data[:min(len(data), binarySniff)], 0) >= 0
}

// scan finds the rule matches in one file's content. The returned slice is
// reused by the next call.
func (m *matcher) scan(path string, data []byte) []hit {
	m.hits = m.hits[:0]
	if cap(m.lower) < len(data) {
		m.lower = make([]byte, len(data))
	}
	lower := m.lower[:len(data)]
	for i, c := range data {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		lower[i] = c
	}
	for i := range m.skip {
		m.skip[i] = false
	}
	pathChecked := map[int]bool(nil)
	m.rs.trie.Walk(lower, func(end, n, kw int64) bool {
		pos := int(end - n + 1)
		for _, ri := range m.rs.byKeyword[kw] {
			if m.lastEnd[ri] > pos || m.skip[ri] {
				continue
			}
			r := &m.rs.rules[ri]
			if r.assignment && !assignmentFollows(lower, pos+int(n)) || r.generic && !valueFollows(lower, pos+int(n)) {
				continue
			}
			if r.Path != nil || len(r.Allowlists) > 0 {
				if pathChecked == nil {
					pathChecked = map[int]bool{}
				}
				if !pathChecked[ri] {
					pathChecked[ri] = true
					if r.skipsPath(path) {
						m.skip[ri] = true
						continue
					}
				}
			}
			if m.lastEnd[ri] == 0 {
				m.touched = append(m.touched, ri)
			}
			if r.anchored != nil {
				m.lastEnd[ri] = max(m.lastEnd[ri], m.atHit(r, path, data, pos, int(n)))
				continue
			}
			m.lastEnd[ri] = m.window(ri, path, data, pos, int(n))
		}
		return true
	})
	for _, ri := range m.touched {
		m.lastEnd[ri] = 0
	}
	m.touched = m.touched[:0]
	return m.dropGenericOverlaps(data)
}

// window runs rule r over the lines around a keyword at pos and returns the
// window's end, so that later hits inside it do not run the rule again.
func (m *matcher) window(ri int, path string, data []byte, pos, n int) int {
	r := &m.rs.rules[ri]
	ws := bytes.LastIndexByte(data[max(0, pos-maxBefore):pos], '\n') + 1 + max(0, pos-maxBefore)
	ws = max(ws, m.lastEnd[ri])
	limit := maxAfter
	if r.multiline {
		limit = multilineAfter
	}
	stop := min(len(data), pos+n+limit)
	we := stop
	lineEnd := stop
	if i := bytes.IndexByte(data[pos+n:stop], '\n'); i >= 0 {
		lineEnd = pos + n + i
	}
	if !r.multiline {
		we = lineEnd
		// gitleaks' assignment template allows blanks (newlines included)
		// around the operator, so such a match may end on the next line.
		if r.assignment && lineEnd < stop {
			we = stop
			if i := bytes.IndexByte(data[lineEnd+1:stop], '\n'); i >= 0 {
				we = lineEnd + 1 + i
			}
		}
	}
	for _, loc := range r.Regex.FindAllIndex(data[ws:we], -1) {
		if r.assignment && ws+loc[0] > lineEnd {
			break // starts on the next line: that line's own window finds it
		}
		m.check(r, path, data, ws+loc[0], ws+loc[1])
	}
	if r.assignment {
		return min(lineEnd+1, len(data))
	}
	return we
}

// atHit tries an anchored rule at a keyword hit and returns the end of the
// match (so later hits inside it are skipped), or 0.
func (m *matcher) atHit(r *rule, path string, data []byte, pos, n int) int {
	if r.boundary && pos > 0 && isWordByte(data[pos-1]) {
		return 0
	}
	we := min(len(data), pos+n+maxAfter)
	if i := bytes.IndexByte(data[pos+n:we], '\n'); i >= 0 {
		we = pos + n + i
	}
	loc := r.anchored.FindIndex(data[pos:we])
	if loc == nil {
		return 0
	}
	m.check(r, path, data, pos, pos+loc[1])
	return pos + loc[1]
}

// isWordByte is regexp's \w for one byte.
func isWordByte(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// check applies gitleaks' secret group, entropy and allowlists, then the
// decoy filter, to one regex match and records it.
func (m *matcher) check(r *rule, path string, data []byte, start, end int) {
	match := bytes.Trim(data[start:end], "\n")
	secret, sOff := match, 0
	if sub := r.Regex.FindSubmatchIndex(match); len(sub) >= 4 {
		g := -1
		if r.SecretGroup > 0 && 2*r.SecretGroup+1 < len(sub) {
			g = r.SecretGroup
		} else if r.SecretGroup == 0 {
			for i := 1; 2*i+1 < len(sub); i++ {
				if sub[2*i] >= 0 && sub[2*i+1] > sub[2*i] {
					g = i
					break
				}
			}
		}
		if g > 0 && sub[2*g] >= 0 {
			secret, sOff = match[sub[2*g]:sub[2*g+1]], sub[2*g]
		}
	}
	if r.Entropy != 0 && entropy(secret) <= r.Entropy {
		return
	}
	line := lineAround(data, start, end)
	if bytes.Contains(line, []byte("gitleaks:allow")) {
		return
	}
	if allowed(m.rs.global, path, match, secret, line) || allowed(r.Allowlists, path, match, secret, line) {
		return
	}
	lead := len(data[start:end]) - len(bytes.TrimLeft(data[start:end], "\n"))
	ls := bytes.LastIndexByte(data[:start+lead], '\n') + 1
	key := keyName(data[max(ls, start+lead-128) : start+lead+sOff])
	if !m.keepDecoys && (decoy.InContext(string(secret), string(line)) || decoy.Path(path)) {
		return
	}
	m.hits = append(m.hits, hit{rule: r, start: start, secret: secret, key: key, principal: principalBeside(data, start+lead+sOff, key, secret)})
}

// allowed mirrors gitleaks' finding allowlist check (detect.checkFindingAllowed).
func allowed(lists []*config.Allowlist, path string, match, secret, line []byte) bool {
	for _, a := range lists {
		target := secret
		switch a.RegexTarget {
		case "match":
			target = match
		case "line":
			target = line
		}
		regexOK := a.RegexAllowed(string(target))
		stop, _ := a.ContainsStopWord(string(secret))
		if a.MatchCondition == config.AllowlistMatchAnd {
			ok := true
			if len(a.Commits) > 0 {
				ok = false
			}
			if len(a.Paths) > 0 && !a.PathAllowed(path) {
				ok = false
			}
			if len(a.Regexes) > 0 && !regexOK {
				ok = false
			}
			if len(a.StopWords) > 0 && !stop {
				ok = false
			}
			if ok {
				return true
			}
		} else if regexOK || stop {
			return true
		}
	}
	return false
}

// assignmentFollows is a cheap necessary condition for gitleaks' assignment
// template after a keyword ending at i: within 23 bytes of name characters,
// blanks and quotes, an operator (= > : | ? ,).
func assignmentFollows(lower []byte, i int) bool {
	for k := i; k < len(lower) && k < i+24; k++ {
		switch c := lower[k]; {
		case c == '=' || c == '>' || c == ':' || c == '|' || c == '?' || c == ',':
			return true
		case c == '_' || c == '.' || c == '-' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' ||
			c == '\'' || c == '"' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z':
		default:
			return false
		}
	}
	return false
}
