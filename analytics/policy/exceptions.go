package policy

import (
	"fmt"
	"strings"
	"time"
)

type exception struct {
	rule     string
	m        matcher
	reason   string
	approver string
	// until is the first instant the exception no longer holds.
	until   time.Time
	expires string
	line    int
}

func (b *builder) exceptions(raw exceptionsYAML) {
	for i, a := range raw.Approvers {
		if b.p.Directory.File == "" || b.noDirectory {
			break
		}
		if _, ok := b.p.Directory.Find(a); !ok {
			b.fail(fmt.Sprintf("exceptions.approvers[%d]", i), fmt.Sprintf("%q is not an id or e-mail in %s", a, b.p.Directory.File))
		}
	}
	b.p.Approvers = raw.Approvers
	for i, e := range raw.List {
		if x, ok := b.exception(fmt.Sprintf("exceptions.list[%d]", i), e.V); ok {
			b.p.exceptions = append(b.p.exceptions, x)
		}
	}
}

func (b *builder) exception(key string, e exceptionYAML) (exception, bool) {
	ok := true
	need := func(field, v string) {
		if strings.TrimSpace(v) == "" {
			b.fail(key+"."+field, "is required")
			ok = false
		}
	}
	need("rule", e.Rule)
	need("reason", e.Reason)
	need("approver", e.Approver)
	need("expires", e.Expires)
	if _, known := b.p.rules[e.Rule]; e.Rule != "" && e.Rule != "*" && !known {
		b.fail(key+".rule", fmt.Sprintf("unknown rule %q (a rule name or \"*\")", e.Rule))
		ok = false
	}
	m, mok := b.match(key+".match", e.Match)
	// An exception to every rule for every identity is switching the policy off.
	if e.Rule == "*" && e.Match == (matchYAML{}) {
		b.fail(key+".match", "is required when rule is \"*\"")
		ok = false
	}
	x := exception{rule: e.Rule, m: m, reason: e.Reason, approver: e.Approver, expires: e.Expires, line: b.lines.at(key)}
	if e.Expires != "" {
		until, err := parseExpiry(e.Expires)
		if err != nil {
			b.fail(key+".expires", err.Error())
			ok = false
		}
		x.until = until
	}
	return x, ok && mok
}

// parseExpiry reads a date (valid through that whole day, UTC) or an RFC 3339 instant.
func parseExpiry(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t.Add(day), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not a date (YYYY-MM-DD or RFC 3339)", s)
}

// Exempt says whether an exception covers rule on id. An approval counts only
// from an approver the policy names who does not own the identity: nobody
// signs off their own risk.
func (p *Policy) Exempt(rule string, id Identity, host string, now time.Time) Exemption {
	var refused *Exemption
	for i := range p.exceptions {
		x := &p.exceptions[i]
		if (x.rule != "*" && x.rule != rule) || !x.m.matches(id, host) {
			continue
		}
		v := p.verdict(x, id, now)
		if v.Applies {
			return v
		}
		if refused == nil {
			refused = &v
		}
	}
	if refused != nil {
		return *refused
	}
	return Exemption{Why: noException(rule)}
}

// noExceptionWhy is what Exempt says of most findings, one string per rule.
var noExceptionWhy = func() map[string]string {
	out := map[string]string{}
	for _, r := range Rules {
		out[r] = "no exception covers " + r
	}
	return out
}()

func noException(rule string) string {
	if s, ok := noExceptionWhy[rule]; ok {
		return s
	}
	return "no exception covers " + rule
}

func (p *Policy) verdict(x *exception, id Identity, now time.Time) Exemption {
	src := fmt.Sprintf("%s:%d", p.File, x.line)
	refuse := func(format string, args ...any) Exemption {
		return Exemption{Why: fmt.Sprintf("exception at %s ", src) + fmt.Sprintf(format, args...), Source: src}
	}
	if !now.Before(x.until) {
		return refuse("expired on %s", x.expires)
	}
	approver := p.personID(x.approver)
	if !p.authorised(approver) {
		return refuse("does not count: approver %q is not in exceptions.approvers", x.approver)
	}
	if owner := p.Owner(id).Owner; owner != "" && owner == approver {
		return refuse("does not count: approver %q owns the identity (separation of duties)", x.approver)
	}
	return Exemption{Applies: true, Source: src,
		Why: fmt.Sprintf("exception at %s: %s (approved by %s, expires %s)", src, x.reason, x.approver, x.expires)}
}

// personID maps an id or e-mail to the directory id, so "alice" and
// "alice@example.com" are one person for separation of duties.
func (p *Policy) personID(s string) string {
	if per, ok := p.Directory.Find(s); ok {
		return per.ID
	}
	return s
}

func (p *Policy) authorised(approver string) bool {
	for _, a := range p.Approvers {
		if p.personID(a) == approver {
			return true
		}
	}
	return false
}

// ExpiredExceptions counts the exceptions that no longer hold at now.
func (p *Policy) ExpiredExceptions(now time.Time) int {
	n := 0
	for _, x := range p.exceptions {
		if !now.Before(x.until) {
			n++
		}
	}
	return n
}
