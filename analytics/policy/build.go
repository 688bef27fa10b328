package policy

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/nhiradar/nhiradar/analytics/owners"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// builder turns the decoded YAML into a Policy, collecting every error.
type builder struct {
	file, baseDir string
	lines         lineIndex
	errs          Errors
	// noDirectory: owners.directory could not be read; that one error stands
	// for every id it would have resolved.
	noDirectory bool
	p           *Policy
}

func (b *builder) fail(path, msg string) {
	b.errs = append(b.errs, &Error{File: b.file, Line: b.lines.at(path), Key: path, Msg: msg})
}

func (b *builder) build(raw *fileYAML) *Policy {
	if raw.Version == nil || *raw.Version != 1 {
		b.fail("version", "must be 1")
	}
	profile := raw.Profile
	switch profile {
	case "":
		profile = "default"
	case "default", "strict":
	default:
		b.fail("profile", fmt.Sprintf("must be default or strict but got %q", profile))
	}
	b.p = newPolicy(b.file, profile)
	b.environments(raw.Environments)
	b.directory(raw.Owners.Directory)
	b.ownerRules(raw.Owners.Rules)
	b.thresholds(raw.Thresholds, raw.Overrides)
	b.rules(raw.Rules)
	b.exceptions(raw.Exceptions)
	b.ticketing(raw.Ticketing)
	return b.p
}

// environments keeps file order: the first environment whose globs match a host wins.
func (b *builder) environments(raw map[string][]string) {
	names := make([]string, 0, len(raw))
	for name := range raw {
		names = append(names, name)
	}
	sort.Slice(names, func(i, j int) bool {
		return b.lines.at("environments."+names[i]) < b.lines.at("environments."+names[j])
	})
	for _, name := range names {
		key := "environments." + name
		if len(raw[name]) == 0 {
			b.fail(key, "needs at least one host-name glob")
		}
		e := envGlobs{name: name}
		for i, s := range raw[name] {
			g, err := compileGlob(s)
			if err != nil || g == nil {
				b.fail(fmt.Sprintf("%s[%d]", key, i), globMsg(s, err))
				continue
			}
			e.globs = append(e.globs, g)
		}
		b.p.envs = append(b.p.envs, e)
	}
}

func globMsg(s string, err error) string {
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("empty glob %q", s)
}

func (b *builder) hasEnv(name string) bool {
	for _, e := range b.p.envs {
		if e.name == name {
			return true
		}
	}
	return false
}

func (b *builder) directory(path string) {
	if path == "" {
		return
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(b.baseDir, path)
	}
	d, problems, err := owners.Load(path)
	if err != nil {
		b.fail("owners.directory", err.Error())
		b.noDirectory = true
		return
	}
	for _, pr := range problems {
		b.errs = append(b.errs, &Error{File: path, Line: pr.Line, Key: pr.Key, Msg: pr.Msg})
	}
	b.p.Directory = d
}

func (b *builder) ownerRules(raw []located[ownerRuleYAML]) {
	for i, r := range raw {
		key := fmt.Sprintf("owners.rules[%d]", i)
		m, ok := b.match(key+".match", r.V.Match)
		if r.V.Owner == "" {
			b.fail(key+".owner", "is required")
			ok = false
		} else if !b.knownID(r.V.Owner) {
			b.fail(key+".owner", b.unknownOwner(r.V.Owner))
			ok = false
		}
		if ok {
			b.p.ownerRules = append(b.p.ownerRules, owners.Rule[Identity]{Owner: r.V.Owner,
				Source: fmt.Sprintf("%s:%d", b.file, b.lines.at(key)),
				Match:  func(id Identity) bool { return m.matches(id, "") }})
		}
	}
}

func (b *builder) knownID(id string) bool {
	_, ok := b.p.Directory.Get(id)
	return ok || b.noDirectory
}

func (b *builder) unknownOwner(id string) string {
	if b.p.Directory.File == "" {
		return fmt.Sprintf("%q is not in the owner directory (owners.directory is not set)", id)
	}
	return fmt.Sprintf("%q is not an id in %s", id, b.p.Directory.File)
}

// match compiles a selector; a kind glob that names no known kind is a typo, not a rule.
func (b *builder) match(key string, m matchYAML) (matcher, bool) {
	ok := true
	fields := map[string]string{"host": m.Host, "path": m.Path, "principal": m.Principal,
		"kind": m.Kind, "account": m.Account, "namespace": m.Namespace}
	for _, name := range []string{"host", "path", "principal", "kind", "account", "namespace"} {
		if _, err := compileGlob(fields[name]); err != nil {
			b.fail(key+"."+name, err.Error())
			ok = false
		}
	}
	out, err := compileMatch(m)
	if err != nil {
		return matcher{}, false
	}
	if out.kind != nil && !anyKind(out.kind) {
		b.fail(key+".kind", fmt.Sprintf("%q matches no known kind", m.Kind))
		ok = false
	}
	return out, ok
}

func anyKind(g *glob) bool {
	for _, k := range event.Kinds {
		if g.match(string(k)) {
			return true
		}
	}
	return false
}

func knownKind(k string) bool {
	for _, v := range event.Kinds {
		if string(v) == k {
			return true
		}
	}
	return false
}

func (b *builder) thresholds(top *located[thresholdsYAML], overrides []located[overrideYAML]) {
	if top != nil {
		b.checkThresholds("thresholds", top.V)
		top.V.apply(&b.p.base)
	}
	var user []override
	for i, o := range overrides {
		key := fmt.Sprintf("overrides[%d]", i)
		ok := b.checkThresholds(key+".thresholds", o.V.Thresholds)
		if o.V.Environment == "" && o.V.Kind == "" {
			b.fail(key, "needs environment or kind (defaults for all go under thresholds)")
			ok = false
		}
		if o.V.Environment != "" && !b.hasEnv(o.V.Environment) {
			b.fail(key+".environment", fmt.Sprintf("unknown environment %q (not under environments)", o.V.Environment))
			ok = false
		}
		if o.V.Kind != "" && !knownKind(o.V.Kind) {
			b.fail(key+".kind", fmt.Sprintf("unknown kind %q", o.V.Kind))
			ok = false
		}
		if ok {
			user = append(user, override{env: o.V.Environment, kind: o.V.Kind, t: o.V.Thresholds, line: b.lines.at(key)})
		}
	}
	b.p.overrides = append(b.p.overrides, user...)
	// Most specific last, so an environment+kind override beats both halves.
	sort.SliceStable(b.p.overrides, func(i, j int) bool {
		return b.p.overrides[i].rank() < b.p.overrides[j].rank()
	})
}

// checkThresholds refuses limits that would make every identity a finding.
func (b *builder) checkThresholds(key string, t thresholdsYAML) bool {
	ok := true
	durations := []struct {
		name string
		d    *Duration
	}{{"dormant_after", t.DormantAfter}, {"never_used_after", t.NeverUsedAfter}, {"max_age", t.MaxAge},
		{"max_password_age", t.MaxPasswordAge}, {"expiring_within", t.ExpiringWithin}, {"review_every", t.ReviewEvery}}
	for _, d := range durations {
		if d.d != nil && d.d.bad != "" {
			b.fail(key+"."+d.name, d.d.bad)
			ok = false
			continue
		}
		if d.d != nil && d.d.D <= 0 && d.name != "expiring_within" {
			b.fail(key+"."+d.name, "must be greater than 0")
			ok = false
		}
	}
	if t.ReuseMaxHosts != nil && *t.ReuseMaxHosts < 1 {
		b.fail(key+".reuse_max_hosts", "must be at least 1")
		ok = false
	}
	return ok
}

func (b *builder) rules(raw map[string]located[ruleYAML]) {
	for name, r := range raw {
		key := "rules." + name
		cur, known := b.p.rules[name]
		if !known {
			b.fail(key, fmt.Sprintf("unknown rule (known: %s)", strings.Join(Rules, ", ")))
			continue
		}
		next := *cur
		next.line = b.lines.at(key)
		next.source = fmt.Sprintf("%s:%d", b.file, next.line)
		if r.V.Severity != "" {
			if !severities[r.V.Severity] {
				b.fail(key+".severity", fmt.Sprintf("must be critical, high, medium or low but got %q", r.V.Severity))
			}
			next.severity = r.V.Severity
		}
		if r.V.Enabled != nil {
			next.enabled = *r.V.Enabled
		}
		if r.V.When != nil {
			next.when = b.when(key+".when", r.V.When)
		}
		b.p.rules[name] = &next
		b.p.configured++
	}
}

// when compiles a condition once, at load, so a typo fails `policy check` rather than an analysis.
func (b *builder) when(key string, e *expr) *program {
	if e.bad != "" {
		b.errs = append(b.errs, &Error{File: b.file, Line: e.Line, Key: key, Msg: e.bad})
		return nil
	}
	if b.p.cel == nil {
		env, err := newCELEnv()
		if err != nil {
			b.fail(key, err.Error())
			return nil
		}
		b.p.cel = env
	}
	prg, err := b.p.cel.compile(e.Text)
	if err != nil {
		b.errs = append(b.errs, &Error{File: b.file, Line: e.Line, Key: key, Msg: err.Error()})
		return nil
	}
	return prg
}
