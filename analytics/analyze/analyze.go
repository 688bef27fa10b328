// Package analyze is one governance analysis: it loads the previous
// findings, runs every detector, moves each finding through the findings
// state machine and stores the new rows and every transition. Given the
// same data and the same clock it writes the same thing.
package analyze

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/nhiradar/nhiradar/analytics/detect"
	"github.com/nhiradar/nhiradar/analytics/findings"
	"github.com/nhiradar/nhiradar/analytics/policy"
	"github.com/nhiradar/nhiradar/collector/store"
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
	AnalysisID   string                `json:"analysis_id"`
	Now          time.Time             `json:"now"`
	Identities   int                   `json:"identities"`
	Observed     int                   `json:"observed"`
	Written      int                   `json:"written"`
	Transitions  []findings.Transition `json:"transitions"`
	Unobservable int                   `json:"usage_unobservable"`
	Counts       []Count               `json:"counts"`
}

// Run analyses once.
func Run(ctx context.Context, st *store.Store, opt Options) (*Summary, error) {
	now := opt.Now.UTC()
	if opt.Now.IsZero() {
		now = time.Now().UTC().Truncate(time.Second)
	}
	by := opt.By
	if by == "" {
		by = "analyze"
	}
	if opt.Policy == nil {
		opt.Policy = policy.Default()
	}
	prev, err := st.Findings(ctx)
	if err != nil {
		return nil, fmt.Errorf("analyze: previous findings: %w", err)
	}
	src := detect.Source{Conn: st.Conn(), Table: st.Table}
	ids, err := detect.LoadIdentities(ctx, src)
	if err != nil {
		return nil, fmt.Errorf("analyze: inventory: %w", err)
	}
	env := detect.NewEnv(opt.Policy, now, ids)
	seen, err := detect.Run(ctx, src, env)
	if err != nil {
		return nil, fmt.Errorf("analyze: %w", err)
	}
	sum := &Summary{AnalysisID: "analyze@" + now.Format(time.RFC3339Nano), Now: now, Identities: len(ids),
		Observed: len(seen), Unobservable: len(env.Unobservable)}
	rows, ts := step(env, prev, seen, by)
	if err := st.WriteFindings(ctx, uint64(now.UnixNano()), rows, ts, sum.AnalysisID); err != nil {
		return nil, fmt.Errorf("analyze: write: %w", err)
	}
	sum.Written, sum.Transitions = len(rows), ts
	sum.Counts = count(prev, rows)
	slog.Info("analysis done", "analysis_id", sum.AnalysisID, "identities", len(ids), "observed", len(seen),
		"written", len(rows), "transitions", len(ts))
	return sum, nil
}

// step feeds the state machine: every observed finding, then every previous
// finding not observed now. It returns the rows to write and the
// transitions, both in finding_id order.
func step(env *detect.Env, prev []findings.Finding, seen []*detect.Finding, by string) ([]findings.Finding, []findings.Transition) {
	byID := make(map[string]*findings.Finding, len(prev))
	for i := range prev {
		byID[prev[i].FindingID] = &prev[i]
	}
	sort.Slice(seen, func(i, j int) bool { return seen[i].ID() < seen[j].ID() })
	var rows []findings.Finding
	var ts []findings.Transition
	observed := map[string]bool{}
	for _, o := range seen {
		observed[o.ID()] = true
		obs := o.Observation
		obs.Evidence = append(append([]string(nil), obs.Evidence...), extraEvidence(env, o)...)
		f, t := findings.Next(byID[o.ID()], findings.Input{Observed: &obs, Exempt: o.Exemption.Applies,
			ExemptWhy: o.Exemption.Why, Now: env.Now, By: by})
		rows, ts = append(rows, *f), append(ts, t...)
	}
	for _, p := range prev {
		if observed[p.FindingID] || p.State == findings.Resolved {
			continue
		}
		rescanned, gone := vanished(env, &p)
		f, t := findings.Next(&p, findings.Input{Rescanned: rescanned, Gone: gone, Now: env.Now, By: by})
		if len(t) > 0 {
			rows, ts = append(rows, *f), append(ts, t...)
		}
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].FindingID < rows[j].FindingID })
	sort.SliceStable(ts, func(i, j int) bool { return ts[i].FindingID < ts[j].FindingID })
	return rows, ts
}

// extraEvidence adds what the policy and coverage say beyond the rule: an
// exception that does not count (expired, unauthorised) and, for an
// identity whose use no source can see, that its usage is unobservable.
func extraEvidence(env *detect.Env, o *detect.Finding) []string {
	var out []string
	if !o.Exemption.Applies && o.Exemption.Source != "" {
		out = append(out, "not exempt: "+o.Exemption.Why)
	}
	if u := env.Unobservable[o.NHIID]; u != "" && o.Rule != findings.Dormant {
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
func count(prev, rows []findings.Finding) []Count {
	cur := map[string]findings.Finding{}
	for _, f := range prev {
		cur[f.FindingID] = f
	}
	for _, f := range rows {
		cur[f.FindingID] = f
	}
	n := map[Count]int{}
	for _, f := range cur {
		n[Count{Rule: f.Rule, Severity: f.Severity, State: f.State}]++
	}
	out := make([]Count, 0, len(n))
	for c, k := range n {
		c.N = k
		out = append(out, c)
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
