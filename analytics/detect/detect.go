// Package detect holds the governance detectors: one file per rule, each
// with its SQL beside it. The SQL reads the maintained aggregate tables
// (never raw events) and returns facts; the Go side applies the policy
// (thresholds, owner, environment, enabled, severity, exceptions) and turns
// the facts into findings.Observation values with plain-sentence evidence.
// Evidence names sources (files, logs, hosts) and never a secret or its
// fingerprint.
package detect

import (
	"context"
	"embed"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/nhiradar/nhiradar/analytics/findings"
	"github.com/nhiradar/nhiradar/analytics/owners"
	"github.com/nhiradar/nhiradar/analytics/policy"
)

//go:embed *.sql
var sqlFiles embed.FS

// Source is where the detectors read: a connection and the name of each
// table (database-qualified, the Distributed table on a cluster).
type Source struct {
	Conn  driver.Conn
	Table func(name string) string
}

var tableRef = regexp.MustCompile(`\{(\w+)\}`)

// query runs one embedded SQL file, its {table} references qualified.
func (s Source) query(ctx context.Context, file string, args ...any) (driver.Rows, error) {
	b, err := sqlFiles.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("detect: %s: %w", file, err)
	}
	sql := tableRef.ReplaceAllStringFunc(string(b), func(m string) string { return s.Table(m[1 : len(m)-1]) })
	rows, err := s.Conn.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("detect: run %s: %w", file, err)
	}
	return rows, nil
}

// Finding is one observation with the policy's verdict on exceptions.
type Finding struct {
	findings.Observation
	Exemption policy.Exemption

	id *Identity
	// evidence holds the sentences of a finding that has at most two (most
	// have one or two): no allocation of their own.
	evidence [2]string
}

// Env is what every detector decides over: the policy, the clock and the
// inventory. The dormant detector records which usage source covers each
// present identity's use, or that none does (CoveredBy, Unobservable):
// an identity whose use no source can see is never dormant.
type Env struct {
	Policy     policy.Decider
	Now        time.Time
	Identities map[string]*Identity
	// Cleared explains, by finding id, why a rule that was checked does not
	// hold now; the analysis uses it as the resolution's evidence.
	Cleared map[findings.Key]string
	// Stored, when set, says whether a finding is stored and not resolved:
	// only their resolutions need a reason (Cleared). It is asked only of
	// identities NoteStored marked for the rule.
	Stored func(findings.Key) bool
	// StoredIDs, when set, lists the identities with a stored unresolved
	// finding of a rule: a detector that narrows its query to what may
	// hold keeps them, to resolve them with current facts.
	StoredIDs func(rule string) []string
	// Took is how long each rule took (its queries and decisions), in the
	// order they ran: an operator sees which rule a slow analysis waits on.
	Took []Step

	order []*Identity
	// said is where the hot rules spell their sentences: one allocation a
	// sentence, its string, instead of one for each number and date in it.
	said   []byte
	owners map[owners.Ownership]*owners.Ownership
	limits map[hostKind]*policy.Thresholds
	why    map[unobservedKey]*string
}

// Step is one timed part of an analysis.
type Step struct {
	Name    string        `json:"step"`
	Took    time.Duration `json:"-"`
	Seconds float64       `json:"seconds"`
}

// NewStep times a step that began at start.
func NewStep(name string, start time.Time) Step {
	d := time.Since(start)
	return Step{Name: name, Took: d, Seconds: d.Seconds()}
}

// NewEnv indexes identities by nhi_id. ids as LoadIdentities returns them
// (sorted, one per nhi_id) are kept in that order; any others are sorted
// once here.
func NewEnv(p policy.Decider, now time.Time, ids []*Identity) *Env {
	env := &Env{Policy: p, Now: now.UTC(), Identities: make(map[string]*Identity, len(ids)),
		owners: map[owners.Ownership]*owners.Ownership{}, limits: map[hostKind]*policy.Thresholds{},
		why: map[unobservedKey]*string{}}
	for _, id := range ids {
		env.Identities[id.NHIID] = id
	}
	if len(env.Identities) == len(ids) && slices.IsSortedFunc(ids, byNHIID) {
		env.order = ids
		return env
	}
	env.order = make([]*Identity, 0, len(env.Identities))
	for _, id := range env.Identities {
		env.order = append(env.order, id)
	}
	slices.SortFunc(env.order, byNHIID)
	return env
}

func byNHIID(a, b *Identity) int { return strings.Compare(a.NHIID, b.NHIID) }

// sorted returns the identities in nhi_id order, so that every run emits
// findings in the same order; it is sorted once per analysis.
func (e *Env) sorted() []*Identity { return e.order }

// present returns the identity if it is still present (on host, when host is
// given): nothing fires on an identity the latest full scans no longer list.
func (e *Env) present(nhiID, host string) *Identity {
	id := e.Identities[nhiID]
	if id == nil || !id.StillPresent {
		return nil
	}
	if host != "" && !contains(id.PresentHosts, host) {
		return nil
	}
	return id
}

// emit builds a finding of rule on id (on host for per-host rules) when the
// policy enables the rule for it; nil otherwise.
func (e *Env) emit(rule string, id *Identity, host string, locations []string, evidence ...string) *Finding {
	pid := id.Policy()
	if !e.Policy.Enabled(rule, pid, host) {
		return nil
	}
	own := id.owner(e)
	hosts := id.PresentHosts
	if host != "" {
		hosts = []string{host}
	}
	if locations == nil {
		locations = id.Locations
	}
	f := &Finding{Observation: findings.Observation{
		Rule: rule, Severity: e.Policy.Severity(rule, pid, host), NHIID: id.NHIID, Kind: id.Kind,
		Principal: id.Principal, Host: host, Hosts: hosts, Locations: locations,
		Owner: own.Owner, OwnerStatus: own.Status, Policy: e.Policy.Source(rule),
	}}
	if len(evidence) <= len(f.evidence) {
		f.Evidence = f.evidence[:copy(f.evidence[:], evidence):len(evidence)]
	} else {
		f.Evidence = slices.Clone(evidence)
	}
	f.Exemption = e.Policy.Exempt(rule, pid, host, e.Now)
	f.id = id
	return f
}

// firstHost is the host whose environment decides identity-level
// thresholds: the first present host in name order, so it is stable.
func (id *Identity) firstHost() string {
	if len(id.PresentHosts) > 0 {
		return id.PresentHosts[0]
	}
	if len(id.Hosts) > 0 {
		return id.Hosts[0]
	}
	return ""
}

// shared returns the one copy of an ownership the analysis keeps: most
// of a fleet's identities share their owner, status and reason.
func (e *Env) shared(o owners.Ownership) *owners.Ownership {
	if p := e.owners[o]; p != nil {
		return p
	}
	p := &o
	e.owners[o] = p
	return p
}

// NoteStored marks id as holding a stored unresolved finding of rule: the
// rules ask Stored (a finding key's hash and search) only of marked
// identities, not of every identity that passes.
func (e *Env) NoteStored(id *Identity, rule string) { id.storedRules |= ruleBit(rule) }

// ruleBit is rule's bit in Identity.storedRules, 0 for no rule.
func ruleBit(rule string) uint16 {
	if i := findings.RuleIndex(rule); i >= 0 {
		return 1 << i
	}
	return 0
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// day is t's UTC date as 2006-01-02, without Format's parse of the
// layout: the rules spell a date in most of their hundreds of thousands of
// sentences.
func day(t time.Time) string { return string(appendDay(nil, t)) }

func appendDay(b []byte, t time.Time) []byte {
	y, m, d := t.UTC().Date()
	if y < 0 || y > 9999 {
		return t.UTC().AppendFormat(b, "2006-01-02")
	}
	return append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+m/10), byte('0'+m%10), '-', byte('0'+d/10), byte('0'+d%10))
}

func days(d time.Duration) int { return int(d / (24 * time.Hour)) }
