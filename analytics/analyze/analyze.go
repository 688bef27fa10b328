// Package analyze is one governance analysis: it loads the previous
// findings, runs every detector, moves each finding through the findings
// state machine and stores the new rows and every transition. Given the
// same data and the same clock it writes the same thing.
package analyze

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/nhiradar/nhiradar/analytics/detect"
	"github.com/nhiradar/nhiradar/analytics/findings"
	"github.com/nhiradar/nhiradar/analytics/policy"
	"github.com/nhiradar/nhiradar/collector/store"
	"github.com/nhiradar/nhiradar/collector/store/findingdb"
)

// Options configure one analysis.
type Options struct {
	Policy policy.Decider
	// Now is the analysis clock (--now); zero means time.Now().
	Now time.Time
	// By names the actor in transitions; "analyze" when empty.
	By string
}

// Count is how many findings have one rule, severity and state.
type Count struct {
	Rule     string `json:"rule"`
	Severity string `json:"severity"`
	State    string `json:"state"`
	N        int    `json:"count"`
}

// Summary is what an analysis did and where the findings stand after it.
type Summary struct {
	AnalysisID string    `json:"analysis_id"`
	Now        time.Time `json:"now"`
	Identities int       `json:"identities"`
	Observed   int       `json:"observed"`
	Written    int       `json:"written"`
	// Transitions lists the first 1,000 transitions (by rule, then
	// finding_id); TransitionCount counts them all.
	Transitions     []findings.Transition `json:"transitions"`
	TransitionCount int                   `json:"transition_count"`
	Unobservable    int                   `json:"usage_unobservable"`
	Counts          []Count               `json:"counts"`
	// Timings: loading the findings and the inventory, each rule, the
	// state machine and the write.
	Timings []detect.Step `json:"timings"`
}

// Run analyses once. Findings stream: each rule's findings go through the
// state machine as soon as the rule has run and changed rows are written in
// chunks, so memory holds the inventory, one rule's findings and a compact
// record of each stored finding, never every finding's evidence at once.
func Run(ctx context.Context, st *store.Store, opt Options) (*Summary, error) {
	now := opt.Now.UTC()
	if opt.Now.IsZero() {
		now = time.Now().UTC().Truncate(time.Second)
	}
	if opt.Policy == nil {
		opt.Policy = policy.Default()
	}
	a := &analysis{findings: findingdb.New(st), by: opt.By, version: uint64(now.UnixNano()),
		sum: &Summary{AnalysisID: "analyze@" + now.Format(time.RFC3339Nano), Now: now}}
	if a.by == "" {
		a.by = "analyze"
	}
	src := detect.Source{Conn: st.Conn(), Table: st.Table}
	prev, ids, err := a.load(ctx, src)
	if err != nil {
		return nil, err
	}
	a.index(prev)
	a.env = detect.NewEnv(opt.Policy, now, ids)
	a.env.Stored, a.env.StoredIDs = a.active, a.activeIDs
	a.sum.Identities = len(ids)
	if err := detect.Run(ctx, src, a.env, a.observe); err != nil {
		return nil, fmt.Errorf("analyze: %w", err)
	}
	a.sum.Timings = append(a.sum.Timings, a.env.Took...)
	a.sum.Unobservable = len(a.env.Unobservable)
	if err := a.vanish(ctx, prev); err != nil {
		return nil, fmt.Errorf("analyze: %w", err)
	}
	if err := a.flush(ctx, 0); err != nil {
		return nil, err
	}
	a.sum.Timings = append(a.sum.Timings, detect.Step{Name: "state machine", Took: a.stepTook, Seconds: a.stepTook.Seconds()},
		detect.Step{Name: "write", Took: a.writeTook, Seconds: a.writeTook.Seconds()})
	a.sum.Counts = a.count()
	slog.Info("analysis done", "analysis_id", a.sum.AnalysisID, "identities", len(ids), "observed", a.sum.Observed,
		"written", a.sum.Written, "transitions", a.sum.TransitionCount)
	return a.sum, nil
}

// load reads the previous findings while the server assembles the
// inventory: decoding the records is the client's work, the inventory the
// server's, and one waited on the other.
func (a *analysis) load(ctx context.Context, src detect.Source) ([]findings.Record, []*detect.Identity, error) {
	type records struct {
		rs   []findings.Record
		took detect.Step
		err  error
	}
	done := make(chan records, 1)
	go func() {
		start := time.Now()
		rs, err := a.findings.FindingRecords(ctx)
		done <- records{rs, detect.NewStep("previous findings", start), err}
	}()
	start := time.Now()
	ids, err := detect.LoadIdentities(ctx, src)
	inv := detect.NewStep("inventory", start)
	prev := <-done
	if prev.err != nil {
		return nil, nil, fmt.Errorf("analyze: previous findings: %w", prev.err)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("analyze: inventory: %w", err)
	}
	a.sum.Timings = append(a.sum.Timings, prev.took, inv)
	return prev.rs, ids, nil
}

// keepTransitions bounds the transitions a Summary lists; it counts all.
const keepTransitions = 1000

// flushAt is how many changed rows wait before they are written: the rows,
// their columns and the driver's block of 50,000 took 150 MB beside the
// inventory at a fleet's first analysis (packaging/bench/analytics.sh).
const flushAt = 10_000

// analysis is one run's state between the rules.
type analysis struct {
	findings  *findingdb.DB
	env       *detect.Env
	by        string
	version   uint64
	sum       *Summary
	prev      map[string]*stored
	counts    map[Count]int
	rows      []findings.Finding
	ts        []findings.Transition
	stepTook  time.Duration
	writeTook time.Duration
}

// stored is a finding as the store holds it, and whether a rule saw it now.
type stored struct {
	*findings.Record
	seen bool
}

func (a *analysis) index(prev []findings.Record) {
	a.prev = make(map[string]*stored, len(prev))
	a.counts = map[Count]int{}
	for i := range prev {
		r := &prev[i]
		a.prev[r.FindingID] = &stored{Record: r}
		a.counts[Count{Rule: r.Rule, Severity: r.Severity, State: r.State}]++
	}
}

// active says whether a stored finding is not resolved.
func (a *analysis) active(findingID string) bool {
	p := a.prev[findingID]
	return p != nil && p.State != findings.Resolved
}

// activeIDs lists the identities with an unresolved stored finding of rule.
func (a *analysis) activeIDs(rule string) []string {
	var out []string
	for _, p := range a.prev {
		if p.Rule == rule && p.State != findings.Resolved {
			out = append(out, p.NHIID)
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// observe moves one rule's findings through the state machine, in
// finding_id order.
func (a *analysis) observe(ctx context.Context, rule string, seen []*detect.Finding) error {
	start := time.Now()
	keyed := make([]observed, len(seen))
	for i, o := range seen {
		keyed[i] = observed{id: o.ID(), f: o}
	}
	sort.Slice(keyed, func(i, j int) bool { return keyed[i].id < keyed[j].id })
	a.sum.Observed += len(keyed)
	for _, k := range keyed {
		obs := k.f.Observation
		obs.Evidence = append(append([]string(nil), obs.Evidence...), extraEvidence(a.env, k.f)...)
		var prev *findings.Finding
		r := a.prev[k.id]
		if r != nil {
			r.seen, prev = true, r.Lifecycle()
		}
		f, t := findings.Next(prev, findings.Input{Observed: &obs, Exempt: k.f.Exemption.Applies,
			ExemptWhy: k.f.Exemption.Why, Now: a.env.Now, By: a.by})
		if len(t) == 0 && r != nil && r.Digest == f.Digest() && a.env.Now.Sub(r.LastDetected) < refresh {
			continue
		}
		a.add(f, t)
		if len(a.rows) >= flushAt {
			a.stepTook += time.Since(start)
			if err := a.flush(ctx, flushAt); err != nil {
				return err
			}
			start = time.Now()
		}
	}
	a.stepTook += time.Since(start)
	return nil
}

func (a *analysis) add(f *findings.Finding, t []findings.Transition) {
	a.rows = append(a.rows, *f)
	if p := a.prev[f.FindingID]; p != nil {
		a.counts[Count{Rule: p.Rule, Severity: p.Severity, State: p.State}]--
	}
	a.counts[Count{Rule: f.Rule, Severity: f.Severity, State: f.State}]++
	for _, tr := range t {
		if len(a.sum.Transitions) < keepTransitions {
			a.sum.Transitions = append(a.sum.Transitions, tr)
		}
	}
	a.sum.TransitionCount += len(t)
	a.ts = append(a.ts, t...)
}

// vanish moves on every stored finding no rule observed now: those whose
// identity was re-scanned resolve, with the full stored row as their base.
func (a *analysis) vanish(ctx context.Context, prev []findings.Record) error {
	start := time.Now()
	var gone []string
	why := map[string]string{}
	for i := range prev {
		r := &prev[i]
		if a.prev[r.FindingID].seen || r.State == findings.Resolved {
			continue
		}
		if rescanned, reason := vanished(a.env, r.Lifecycle()); rescanned {
			gone, why[r.FindingID] = append(gone, r.FindingID), reason
		}
	}
	a.stepTook += time.Since(start)
	full, err := a.findings.FindingsByID(ctx, gone)
	if err != nil {
		return fmt.Errorf("findings to resolve: %w", err)
	}
	start = time.Now()
	for i := range full {
		f, t := findings.Next(&full[i], findings.Input{Rescanned: true, Gone: why[full[i].FindingID], Now: a.env.Now, By: a.by})
		if len(t) > 0 {
			a.add(f, t)
		}
	}
	a.stepTook += time.Since(start)
	return nil
}

// flush writes the waiting rows once at least n wait (all with n = 0).
func (a *analysis) flush(ctx context.Context, n int) error {
	if len(a.rows) == 0 || len(a.rows) < n {
		return nil
	}
	start := time.Now()
	if err := a.findings.WriteFindings(ctx, a.version, a.rows, a.ts, a.sum.AnalysisID); err != nil {
		return fmt.Errorf("analyze: write: %w", err)
	}
	a.sum.Written += len(a.rows)
	a.rows, a.ts = a.rows[:0], a.ts[:0]
	a.writeTook += time.Since(start)
	return nil
}

// refresh is how stale a stored finding's last_detected may grow before an
// unchanged finding is written again: rewriting every finding at every
// analysis (every 15 minutes) would turn a fleet's findings table into a
// stream of identical rows for ClickHouse to merge away.
const refresh = 24 * time.Hour

// observed is a detector's finding with its id, computed once.
type observed struct {
	id string
	f  *detect.Finding
}

// extraEvidence adds what the policy and coverage say beyond the rule: an
// exception that does not count (expired, unauthorised) and, for an
// identity whose use no source can see, that its usage is unobservable.
func extraEvidence(env *detect.Env, o *detect.Finding) []string {
	var out []string
	if !o.Exemption.Applies && o.Exemption.Source != "" {
		out = append(out, "not exempt: "+o.Exemption.Why)
	}
	if u := env.UnobservableWhy(o.NHIID); u != "" && o.Rule != findings.Dormant {
		out = append(out, u)
	}
	return out
}

// vanished decides whether a finding the detectors no longer see may
// resolve, and why. An identity the latest complete full scans no longer
// list (on the finding's host, for per-host rules) is gone. An identity
// still present was checked with current facts and the rule does not hold.
// One the inventory does not hold at all was never re-scanned: it keeps
// its finding.
func vanished(env *detect.Env, f *findings.Finding) (bool, string) {
	id := env.Identities[f.NHIID]
	if id == nil {
		return false, ""
	}
	if !id.StillPresent {
		return true, fmt.Sprintf("the latest complete full scans of %s no longer list it", strings.Join(id.Hosts, ", "))
	}
	if findings.PerHost(f.Rule) && len(f.Hosts) == 1 && !contains(id.PresentHosts, f.Hosts[0]) {
		return true, fmt.Sprintf("the latest complete full scan of %s no longer lists it", f.Hosts[0])
	}
	if why := env.Cleared[f.FindingID]; why != "" {
		return true, why
	}
	host := ""
	if findings.PerHost(f.Rule) && len(f.Hosts) == 1 {
		host = f.Hosts[0]
	}
	if !env.Policy.Enabled(f.Rule, id.Policy(), host) {
		return true, fmt.Sprintf("the policy no longer applies %s to this identity (%s)", f.Rule, env.Policy.Source(f.Rule))
	}
	return true, fmt.Sprintf("the identity is still present but %s no longer holds on the data of %s",
		f.Rule, env.Now.Format(time.RFC3339))
}

// count tallies the findings as they stand after the analysis.
func (a *analysis) count() []Count {
	out := make([]Count, 0, len(a.counts))
	for c, k := range a.counts {
		if k > 0 {
			c.N = k
			out = append(out, c)
		}
	}
	order := map[string]int{}
	for i, r := range findings.Rules() {
		order[r] = i
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Rule != b.Rule {
			return order[a.Rule] < order[b.Rule]
		}
		if a.Severity != b.Severity {
			return a.Severity < b.Severity
		}
		return a.State < b.State
	})
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
