package policy

import (
	"fmt"
	"regexp"
	"strings"
)

// glob is a compiled pattern: `*` and `?` stay within a path segment, `**`
// crosses `/`.
type glob struct {
	src string
	re  *regexp.Regexp
	// lit and shape answer the common patterns ("prod-*", "*.pem",
	// "/home/**", a plain name) without the regexp: an analysis matches
	// every identity's hosts and paths against every rule's globs.
	lit   string
	shape globShape
}

type globShape uint8

const (
	byRegexp  globShape = iota
	exact               // lit
	prefix              // lit then anything but '/'
	prefixAny           // lit then anything
	suffix              // anything but '/' then lit
)

func compileGlob(p string) (*glob, error) {
	if p == "" {
		return nil, nil
	}
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '*':
			if i+1 < len(p) && p[i+1] == '*' {
				i++
				if i+1 < len(p) && p[i+1] == '/' {
					i++
					b.WriteString("(?:.*/)?")
				} else {
					b.WriteString(".*")
				}
			} else {
				b.WriteString("[^/]*")
			}
		case '?':
			b.WriteString("[^/]")
		case '[', ']':
			return nil, fmt.Errorf("glob %q: character classes are not supported", p)
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, fmt.Errorf("glob %q: %w", p, err)
	}
	g := &glob{src: p, re: re}
	g.lit, g.shape = shapeOf(p)
	return g, nil
}

// shapeOf recognises a pattern whose only wildcard is one leading `*`, one
// trailing `*` or a trailing `**`, or that has none.
func shapeOf(p string) (string, globShape) {
	wild := strings.IndexAny(p, "*?")
	switch {
	case wild < 0:
		return p, exact
	case strings.HasSuffix(p, "**") && wild == len(p)-2:
		return p[:wild], prefixAny
	case wild == len(p)-1 && p[wild] == '*':
		return p[:wild], prefix
	case wild == 0 && p[0] == '*' && !strings.ContainsAny(p[1:], "*?"):
		return p[1:], suffix
	}
	return "", byRegexp
}

func (g *glob) match(s string) bool {
	switch g.shape {
	case exact:
		return s == g.lit
	case prefix:
		return strings.HasPrefix(s, g.lit) && !strings.Contains(s[len(g.lit):], "/")
	case prefixAny:
		return strings.HasPrefix(s, g.lit)
	case suffix:
		return strings.HasSuffix(s, g.lit) && !strings.Contains(s[:len(s)-len(g.lit)], "/")
	}
	return g.re.MatchString(s)
}

func (g *glob) any(values []string) bool {
	for _, v := range values {
		if g.match(v) {
			return true
		}
	}
	return false
}

// matcher selects identities: every field given must match; none given matches all.
type matcher struct {
	host, path, principal, kind, account, namespace *glob
}

func compileMatch(m matchYAML) (matcher, error) {
	var out matcher
	fields := []struct {
		dst *(*glob)
		src string
	}{{&out.host, m.Host}, {&out.path, m.Path}, {&out.principal, m.Principal},
		{&out.kind, m.Kind}, {&out.account, m.Account}, {&out.namespace, m.Namespace}}
	for _, f := range fields {
		g, err := compileGlob(f.src)
		if err != nil {
			return matcher{}, err
		}
		*f.dst = g
	}
	return out, nil
}

// matches reports whether id (seen on host, or on any of its hosts when host is "") is selected.
func (m matcher) matches(id Identity, host string) bool {
	switch {
	case m.kind != nil && !m.kind.match(id.Kind),
		m.principal != nil && !m.principal.match(id.Principal),
		m.namespace != nil && !m.namespace.match(id.Namespace),
		m.host != nil && host != "" && !m.host.match(host),
		m.host != nil && host == "" && !m.host.any(id.Hosts),
		m.path != nil && !m.path.any(id.Locations),
		m.account != nil && !m.account.any(id.Accounts):
		return false
	}
	return true
}
