package content

// genericValue is the value part of gitleaks' generic-api-key rule: a rule
// whose regex ends with it has a necessary condition cheap to test at each
// keyword hit (valueFollows).
const genericValue = `([\w.=-]{10,150}|[a-z0-9][a-z0-9+/]{11,}={0,3})(?:[\x60'"\s;]|\\[nr]|$)`

// valueFollows is a necessary condition for the generic rule at a keyword
// ending at e: up to 20 name characters and blanks, up to 3 blanks or
// quotes, an operator (= > : | ? , and their 2-4 byte forms), up to 5
// quotes, blanks or '=', then a run of at least 10 value characters
// followed by a terminator (quote, blank, ';', \n, \r or the end of the
// line). Every way the regex can match satisfies it, so a hit that fails it
// cannot be part of a match; most keyword hits in source code fail it.
func valueFollows(lower []byte, e int) bool {
	// Blanks may be newlines: the value may sit on the next line. The end of
	// this window counts as a terminator, which only makes the test looser.
	end := min(len(lower), e+400)
	for k := e; k < end && k <= e+23; k++ {
		c := lower[k]
		if isOperator(c) {
			for opLen := 1; opLen <= 4 && k+opLen <= end; opLen++ {
				if !isOperator(lower[k+opLen-1]) {
					break
				}
				if runAfterSkip(lower[:end], k+opLen) {
					return true
				}
			}
			continue
		}
		if !(isNameByte(c) || isBlankOrQuote(c)) {
			return false
		}
	}
	return false
}

func isOperator(c byte) bool {
	return c == '=' || c == '>' || c == ':' || c == '|' || c == '?' || c == ','
}

func isBlankOrQuote(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' || c == '\'' || c == '"'
}

// runAfterSkip tests, for every skip of 0-5 quote/blank/'=' bytes from i,
// whether a run of at least 10 value bytes ending at a terminator follows.
func runAfterSkip(b []byte, i int) bool {
	for s := 0; s <= 5 && i+s <= len(b); s++ {
		if s > 0 {
			c := b[i+s-1]
			if !(isBlankOrQuote(c) || c == '`' || c == '=') {
				return false
			}
		}
		j := i + s
		for j < len(b) && (isNameByte(b[j]) || b[j] == '=' || b[j] == '+' || b[j] == '/') {
			j++
		}
		if j-(i+s) >= 10 && (j == len(b) || isBlankOrQuote(b[j]) || b[j] == '`' || b[j] == ';' ||
			b[j] == '\\' && j+1 < len(b) && (b[j+1] == 'n' || b[j+1] == 'r')) {
			return true
		}
	}
	return false
}
