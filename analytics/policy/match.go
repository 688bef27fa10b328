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
}

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
	return &glob{src: p, re: re}, nil
}

func (g *glob) match(s string) bool { return g.re.MatchString(s) }

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
	hosts := id.Hosts
	if host != "" {
		hosts = []string{host}
	}
	checks := []struct {
		g      *glob
		values []string
	}{{m.host, hosts}, {m.path, id.Locations}, {m.principal, []string{id.Principal}},
		{m.kind, []string{id.Kind}}, {m.account, id.Accounts}, {m.namespace, []string{id.Namespace}}}
	for _, c := range checks {
		if c.g != nil && !c.g.any(c.values) {
			return false
		}
	}
	return true
}
