// Package analyze is one governance analysis: it loads the previous
// findings, runs every detector, moves each finding through the findings
// state machine and stores the new rows and every transition. Given the
// same data and the same clock it writes the same thing.
package analyze

import (
	"cmp"
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

// MemoryLimit is the soft memory limit an analysing process keeps to
// unless told otherwise (nhictl analyze --memory-limit; the collector adds
// it to its own when it analyses). A fleet of 206,000 identities and
// 249,000 findings holds about 180 MB at most (packaging/bench/analytics.sh);
// without a limit the heap grows to twice what is live before the garbage
// collector runs, and the process to over 400 MB.
const MemoryLimit = 240 << 20

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
	a.env = detect.NewEnv(opt.Policy, now, ids)
	a.index(prev)
	a.w = a.findings.NewWriter(ctx, a.version, a.sum.AnalysisID)
	defer a.w.Abort() // after Close, nothing left to abort
	a.env.Stored, a.env.StoredIDs = a.active, a.activeIDs
	a.sum.Identities = len(ids)
	if err := detect.Run(ctx, src, a.env, a.observe); err != nil {
		return nil, fmt.Errorf("analyze: %w", err)
	}
	a.sum.Timings = append(a.sum.Timings, a.env.Took...)
	a.sum.Unobservable = a.env.UnobservableCount()
	a.phase = 1
	if err := a.vanish(ctx); err != nil {
		return nil, fmt.Errorf("analyze: %w", err)
	}
	if err := a.flush(ctx, 0); err != nil {
		return nil, err
	}
	start := time.Now()
	if err := a.w.Close(); err != nil {
		return nil, fmt.Errorf("analyze: write: %w", err)
	}
	a.writeTook += time.Since(start)
	a.sum.Timings = append(a.sum.Timings, detect.Step{Name: "state machine", Took: a.stepTook, Seconds: a.stepTook.Seconds()},
		detect.Step{Name: "write", Took: a.writeTook, Seconds: a.writeTook.Seconds()})
	a.sum.Counts = a.count()
	a.trimListed()
	for _, l := range a.listed {
		a.sum.Transitions = append(a.sum.Transitions, l.t)
	}
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

// listed is a transition a Summary may list, with what orders it: the
// rules' transitions (phase 0) in rule order, then the resolutions of
// findings no rule saw (phase 1), each by finding_id. Rules hand their
// findings on in batches, so the order is restored here.
type listed struct {
	phase, rule int
	t           findings.Transition
}

// trimListed keeps the first keepTransitions in listing order.
func (a *analysis) trimListed() {
	slices.SortFunc(a.listed, func(x, y listed) int {
		return cmp.Or(cmp.Compare(x.phase, y.phase), cmp.Compare(x.rule, y.rule), cmp.Compare(x.t.FindingID, y.t.FindingID))
	})
	a.listed = a.listed[:min(len(a.listed), keepTransitions)]
}

// flushAt is how many changed rows wait before they are sent as one block:
// blocks of 50,000 rows took 150 MB beside the inventory at a fleet's first
// analysis, 10,000 no faster write than 5,000 (packaging/bench/analytics.sh).
// A variable for the tests of a write failing mid-analysis.
var flushAt = 5_000

// analysis is one run's state between the rules.
type analysis struct {
	findings *findingdb.DB
	w        *findingdb.Writer
	env      *detect.Env
	by       string
	version  uint64
	sum      *Summary
	// prev is every stored finding in key order, at its index by key;
	// seen says whether a rule observed it now.
	prev      []findings.Record
	at        map[findings.Key]int32
	seen      []bool
	counts    map[Count]int
	rows      []findings.Finding
	ts        []findings.Transition
	listed    []listed
	phase     int
	stepTook  time.Duration
	writeTook time.Duration
}

// index keeps the stored findings in key order (the store returns them in
// finding_id order, which is key order; sorting again costs nothing when
// it holds) and shares the inventory's copy of each nhi_id.
func (a *analysis) index(prev []findings.Record) {
	slices.SortFunc(prev, func(x, y findings.Record) int { return cmp.Compare(x.Key, y.Key) })
	a.prev, a.seen, a.at = prev, make([]bool, len(prev)), make(map[findings.Key]int32, len(prev))
	a.counts = map[Count]int{}
	for i := range prev {
		r := &prev[i]
		a.at[r.Key] = int32(i)
		if id := a.env.Identities[r.NHIID]; id != nil {
			r.NHIID = id.NHIID
			if r.State != findings.Resolved {
				a.env.NoteStored(id, r.Rule)
			}
		}
		a.counts[Count{Rule: r.Rule, Severity: r.Severity, State: r.State}]++
	}
}

// find returns the index of the stored finding with key k, or -1.
func (a *analysis) find(k findings.Key) int {
	if i, ok := a.at[k]; ok {
		return int(i)
	}
	return -1
}

// active says whether a stored finding is not resolved.
func (a *analysis) active(k findings.Key) bool {
	i := a.find(k)
	return i >= 0 && a.prev[i].State != findings.Resolved
}

// activeIDs lists the identities with an unresolved stored finding of rule.
func (a *analysis) activeIDs(rule string) []string {
	var out []string
	for i := range a.prev {
		if p := &a.prev[i]; p.Rule == rule && p.State != findings.Resolved {
			out = append(out, p.NHIID)
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// observe moves a batch of one rule's findings through the state machine,
// in finding_id order.
func (a *analysis) observe(ctx context.Context, rule string, seen []*detect.Finding) error {
	start := time.Now()
	keyed := make([]observed, len(seen))
	for i, o := range seen {
		keyed[i] = observed{key: o.Key(), f: o}
	}
	slices.SortFunc(keyed, func(x, y observed) int { return cmp.Compare(x.key, y.key) })
	a.sum.Observed += len(keyed)
	var last findings.Finding // each observed finding's previous one, in turn
	for _, k := range keyed {
		obs := k.f.Observation
		if extra := extraEvidence(a.env, k.f); len(extra) > 0 {
			obs.Evidence = append(slices.Clip(obs.Evidence), extra...)
		}
		var (
			prev *findings.Finding
			r    *findings.Record
		)
		if i := a.find(k.key); i >= 0 {
			r, a.seen[i] = &a.prev[i], true
			prev = r.LifecycleIn(&last)
		}
		f, t := findings.Next(prev, findings.Input{Observed: &obs, Exempt: k.f.Exemption.Applies,
			ExemptWhy: k.f.Exemption.Why, Now: a.env.Now, By: a.by})
		if len(t) == 0 && r != nil && r.Digest == f.Digest() && a.env.Now.Unix()-r.LastDetected < int64(refresh/time.Second) {
			continue
		}
		a.add(f, r, t)
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

// add queues a finding's new row; p is its stored record, nil for a new one.
func (a *analysis) add(f *findings.Finding, p *findings.Record, t []findings.Transition) {
	a.rows = append(a.rows, *f)
	if p != nil {
		a.counts[Count{Rule: p.Rule, Severity: p.Severity, State: p.State}]--
	}
	a.counts[Count{Rule: f.Rule, Severity: f.Severity, State: f.State}]++
	for _, tr := range t {
		a.listed = append(a.listed, listed{phase: a.phase, rule: findings.RuleIndex(f.Rule), t: tr})
	}
	if len(a.listed) > 2*keepTransitions {
		a.trimListed()
	}
	a.sum.TransitionCount += len(t)
	a.ts = append(a.ts, t...)
}

// vanish moves on every stored finding no rule observed now: those whose
// identity was re-scanned resolve, with the full stored row as their base.
func (a *analysis) vanish(ctx context.Context) error {
	start := time.Now()
	var gone []string
	why := map[string]string{}
	for i := range a.prev {
		r := &a.prev[i]
		if a.seen[i] || r.State == findings.Resolved {
			continue
		}
		if rescanned, reason := vanished(a.env, r); rescanned {
			id := r.Key.ID()
			gone, why[id] = append(gone, id), reason
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
			k, err := findings.ParseKey(f.FindingID)
			if err != nil {
				return fmt.Errorf("findings to resolve: %w", err)
			}
			i := a.find(k)
			if i < 0 {
				return fmt.Errorf("findings to resolve: %s was not among the stored findings read", f.FindingID)
			}
			a.add(f, &a.prev[i], t)
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
	if err := a.w.Write(a.rows, a.ts); err != nil {
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

// observed is a detector's finding with its key, computed once.
type observed struct {
	key findings.Key
	f   *detect.Finding
}

// extraEvidence adds what the policy and coverage say beyond the rule: an
// exception that does not count (expired, unauthorised) and, for an
// identity whose use no source can see, that its usage is unobservable.
func extraEvidence(env *detect.Env, o *detect.Finding) []string {
	var out []string
	if !o.Exemption.Applies && o.Exemption.Source != "" {
		out = append(out, "not exempt: "+o.Exemption.Why)
	}
	if u := env.UnobservableOf(o); u != "" && o.Rule != findings.Dormant {
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
func vanished(env *detect.Env, f *findings.Record) (bool, string) {
	id := env.Identities[f.NHIID]
	if id == nil {
		return false, ""
	}
	if !id.StillPresent {
		return true, fmt.Sprintf("the latest complete full scans of %s no longer list it", strings.Join(id.Hosts, ", "))
	}
	if f.Host != "" && !contains(id.PresentHosts, f.Host) {
		return true, fmt.Sprintf("the latest complete full scan of %s no longer lists it", f.Host)
	}
	if why := env.Cleared[f.Key]; why != "" {
		return true, why
	}
	host := f.Host
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
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Rule != b.Rule {
			return findings.RuleIndex(a.Rule) < findings.RuleIndex(b.Rule)
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
