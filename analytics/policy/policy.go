package policy

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/parser"

	"github.com/nhiradar/nhiradar/analytics/owners"
)

const day = 24 * time.Hour

// Rules are the finding rules a policy configures.
var Rules = []string{"dormant", "ownerless", "owner_departed", "long_lived", "expired", "expiring",
	"reused", "cross_environment", "exposed_file", "secret_in_command_line", "human_use", "overprivileged"}

// defaultSeverity is what a security team signs when the policy says nothing.
var defaultSeverity = map[string]string{
	"dormant": "medium", "ownerless": "medium", "owner_departed": "high", "long_lived": "medium",
	"expired": "high", "expiring": "low", "reused": "high", "cross_environment": "critical",
	"exposed_file": "high", "secret_in_command_line": "high", "human_use": "high", "overprivileged": "high",
}

var severities = map[string]bool{"critical": true, "high": true, "medium": true, "low": true}

// Policy is a loaded, checked policy. It implements Decider.
type Policy struct {
	File       string
	Profile    string
	envs       []envGlobs
	Directory  *owners.Directory
	ownerRules []owners.Rule[Identity]
	base       Thresholds
	overrides  []override
	rules      map[string]*rule
	configured int
	Approvers  []string
	exceptions []exception
	Ticketing  Ticketing
	cel        *celEnv
	// cache holds Environment by host and Thresholds by environment and
	// kind: an analysis asks them of every identity under several rules,
	// and a fleet has a few thousand hosts.
	cache decisions
}

// decisions is Policy's cache: plain maps under a read lock (sync.Map's
// lookups of these string keys showed in an analysis's profile).
type decisions struct {
	mu         sync.RWMutex
	hostEnv    map[string]string
	thresholds map[envKind]Thresholds
}

type envKind struct{ env, kind string }

var _ Decider = (*Policy)(nil)

type envGlobs struct {
	name  string
	globs []*glob
}

type override struct {
	env, kind string
	t         thresholdsYAML
	line      int
}

// rank orders overrides from general to specific: environment, kind, both.
func (o override) rank() int {
	switch {
	case o.env != "" && o.kind != "":
		return 3
	case o.kind != "":
		return 2
	default:
		return 1
	}
}

type rule struct {
	severity string
	enabled  bool
	when     *program
	line     int
	source   string // file:line, asked of every finding
}

// Default is the built-in policy: the defaults a security team would sign.
func Default() *Policy { return newPolicy("defaults", "default") }

// Strict is the CIS AWS-like profile: 45 days unused, 90 days rotation.
func Strict() *Policy { return newPolicy("defaults", "strict") }

func newPolicy(file, profile string) *Policy {
	p := &Policy{File: file, Profile: profile, Directory: &owners.Directory{},
		rules: map[string]*rule{}, Ticketing: Ticketing{System: "local"}}
	p.base = Thresholds{DormantAfter: 90 * day, NeverUsedAfter: 30 * day, MaxAge: 365 * day,
		MaxPasswordAge: 90 * day, ExpiringWithin: 14 * day, ReviewEvery: 180 * day, ReuseMaxHosts: 1}
	if profile == "strict" {
		// NeverUsedAfter stays 30d: a strict profile must not be looser than the default anywhere.
		p.base.DormantAfter, p.base.MaxAge = 45*day, 90*day
	}
	review := Duration{D: 90 * day}
	p.overrides = []override{{env: "production", t: thresholdsYAML{ReviewEvery: &review}}}
	for _, r := range Rules {
		p.rules[r] = &rule{severity: defaultSeverity[r], enabled: true}
	}
	return p
}

// Load reads and checks a policy file; relative paths in it are relative to its folder.
func Load(path string) (*Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read policy: %w", err)
	}
	return Parse(path, data, filepath.Dir(path))
}

// Parse checks a policy held in memory; name is used in messages, baseDir resolves the directory CSV.
func Parse(name string, data []byte, baseDir string) (*Policy, error) {
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, Errors{toError(name, err)}
	}
	for _, doc := range f.Docs {
		if e := refuseAliases(name, doc); e != nil {
			return nil, Errors{e}
		}
	}
	var raw fileYAML
	if err := yaml.UnmarshalWithOptions(data, &raw, yaml.Strict()); err != nil {
		return nil, Errors{toError(name, err)}
	}
	b := &builder{file: name, baseDir: baseDir, lines: indexLines(f.Docs)}
	p := b.build(&raw)
	if len(b.errs) > 0 {
		// The policy's own mistakes first, in line order; the directory CSV's after.
		sort.SliceStable(b.errs, func(i, j int) bool {
			ei, ej := b.errs[i], b.errs[j]
			if (ei.File == name) != (ej.File == name) {
				return ei.File == name
			}
			return ei.File < ej.File || (ei.File == ej.File && ei.Line < ej.Line)
		})
		return nil, b.errs
	}
	return p, nil
}

// Source is file:line of the policy entry that governs rule ("defaults" when built in).
func (p *Policy) Source(ruleName string) string {
	if r := p.rules[ruleName]; r != nil && r.line > 0 {
		return r.source
	}
	return "defaults"
}

// Environment maps a host name to the first environment whose globs match it.
func (p *Policy) Environment(host string) string {
	return cached(&p.cache.mu, &p.cache.hostEnv, host, p.environment)
}

// cached returns m[k], computing and keeping it on the first ask.
func cached[K comparable, V any](mu *sync.RWMutex, m *map[K]V, k K, compute func(K) V) V {
	mu.RLock()
	v, ok := (*m)[k]
	mu.RUnlock()
	if ok {
		return v
	}
	v = compute(k)
	mu.Lock()
	if *m == nil {
		*m = map[K]V{}
	}
	(*m)[k] = v
	mu.Unlock()
	return v
}

func (p *Policy) environment(host string) string {
	env := ""
	for _, e := range p.envs {
		if slices.ContainsFunc(e.globs, func(g *glob) bool { return g.match(host) }) {
			env = e.name
			break
		}
	}
	return env
}

// Summary counts what a policy holds, for `nhictl policy check`.
type Summary struct {
	Owners, OwnerRules, Rules, Exceptions, Expired int
}

// Summarize counts what the policy holds; exceptions expired at now are counted apart.
func (p *Policy) Summarize(now time.Time) Summary {
	return Summary{Owners: p.Directory.Len(), OwnerRules: len(p.ownerRules), Rules: p.configured,
		Exceptions: len(p.exceptions), Expired: p.ExpiredExceptions(now)}
}

// Severity of rule: the policy's setting, else the built-in default. It is
// asked only of findings that fired, so `when` has already held (see Enabled).
func (p *Policy) Severity(ruleName string, id Identity, host string) string {
	if r := p.rules[ruleName]; r != nil {
		return r.severity
	}
	return "medium"
}

// Enabled reports whether rule fires for id on host: not disabled and its `when` holds.
// A condition that fails at run time counts as true: a broken filter must not hide findings.
func (p *Policy) Enabled(ruleName string, id Identity, host string) bool {
	r := p.rules[ruleName]
	if r == nil {
		return false
	}
	if !r.enabled {
		return false
	}
	ok, err := p.When(ruleName, id, host)
	if err != nil {
		slog.Warn("policy condition failed; the rule fires", "rule", ruleName, "policy", p.Source(ruleName), "nhi_id", id.NHIID, "err", err)
		return true
	}
	return ok
}

// When evaluates rule's `when` condition (true when it has none); the error is
// the caller's to report.
func (p *Policy) When(ruleName string, id Identity, host string) (bool, error) {
	r := p.rules[ruleName]
	if r == nil || r.when == nil {
		return true, nil
	}
	ok, err := r.when.eval(id, host, p.Environment(host))
	if err != nil {
		return false, fmt.Errorf("rule %s at %s: %w", ruleName, p.Source(ruleName), err)
	}
	return ok, nil
}

// Thresholds for id on host: the profile's base and top-level thresholds, then
// matching overrides from general to specific (environment, kind, environment+kind).
func (p *Policy) Thresholds(id Identity, host string) Thresholds {
	return cached(&p.cache.mu, &p.cache.thresholds, envKind{p.Environment(host), id.Kind}, p.thresholdsOf)
}

func (p *Policy) thresholdsOf(k envKind) Thresholds {
	t := p.base
	for _, o := range p.overrides {
		if (o.env == "" || o.env == k.env) && (o.kind == "" || o.kind == k.kind) {
			o.t.apply(&t)
		}
	}
	return t
}

// LongestDormantAfter bounds every Thresholds(…).DormantAfter: each is the
// base or an override's value.
func (p *Policy) LongestDormantAfter() time.Duration {
	longest := p.base.DormantAfter
	for _, o := range p.overrides {
		if o.t.DormantAfter != nil && o.t.DormantAfter.D > longest {
			longest = o.t.DormantAfter.D
		}
	}
	return longest
}

func (y thresholdsYAML) apply(t *Thresholds) {
	set := func(dst *time.Duration, src *Duration) {
		if src != nil {
			*dst = src.D
		}
	}
	set(&t.DormantAfter, y.DormantAfter)
	set(&t.NeverUsedAfter, y.NeverUsedAfter)
	set(&t.MaxAge, y.MaxAge)
	set(&t.MaxPasswordAge, y.MaxPasswordAge)
	set(&t.ExpiringWithin, y.ExpiringWithin)
	set(&t.ReviewEvery, y.ReviewEvery)
	if y.ReuseMaxHosts != nil {
		t.ReuseMaxHosts = *y.ReuseMaxHosts
	}
}
