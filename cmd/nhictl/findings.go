package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/nhiradar/nhiradar/analytics/analyze"
	"github.com/nhiradar/nhiradar/analytics/detect"
	"github.com/nhiradar/nhiradar/analytics/findings"
	"github.com/nhiradar/nhiradar/analytics/policy"
	"github.com/nhiradar/nhiradar/collector/store"
	"github.com/nhiradar/nhiradar/collector/store/findingdb"
	"github.com/nhiradar/nhiradar/internal/memlimit"
)

type analyzeCmd struct {
	Policy      string `help:"Policy file (default: the built-in policy)." type:"existingfile" placeholder:"FILE"`
	Now         string `help:"Analysis clock, RFC 3339 (default now): for replay and tests." placeholder:"TIME"`
	DryRun      bool   `help:"Print the tickets the findings call for; open none." name:"dry-run"`
	NoTickets   bool   `help:"Update the findings only." name:"no-tickets"`
	Outbox      string `help:"The ticket outbox file (default: one per database under the user's cache directory)." placeholder:"FILE"`
	FailOn      string `help:"Exit with status 3 when an active finding is at or above this severity (for CI)." enum:",low,medium,high,critical" default:"" name:"fail-on"`
	Timings     bool   `help:"Also print how long each step took (inventory, each rule, the write)."`
	Ticketing   string `help:"Connection settings of the ticket system the policy names (rt, servicenow, jira, webhook): see collector/ticket/*/sample.yaml." type:"existingfile" placeholder:"FILE"`
	MemoryLimit int64  `help:"Soft limit of the analysis's memory in bytes, which the garbage collector keeps to by working harder (0: 240 MiB; -1: none; GOMEMLIMIT in the environment takes precedence)." default:"0" name:"memory-limit" env:"NHI_ANALYZE_MEMORY_LIMIT"`
}

func (c *analyzeCmd) Run(ctx context.Context, root *cli) error {
	memlimit.Set(memlimit.Choose(c.MemoryLimit, analyze.MemoryLimit))
	return c.run(ctx, root, os.Stdout)
}

func (c *analyzeCmd) run(ctx context.Context, root *cli, w io.Writer) error {
	p, err := loadPolicy(c.Policy)
	if err != nil {
		return err
	}
	now, err := parseNow(c.Now)
	if err != nil {
		return err
	}
	st, err := root.connect(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	sum, err := analyze.Run(ctx, st, analyze.Options{Policy: p, Now: now})
	if err != nil {
		return err
	}
	if err := writeSummary(w, sum); err != nil {
		return err
	}
	if c.Timings {
		writeTimings(w, sum.Timings)
	}
	if !c.NoTickets {
		if err := ticketRound(ctx, st, p, sum.Now, c, w); err != nil {
			return err
		}
	}
	if c.FailOn == "" {
		return nil
	}
	fs, err := findingdb.New(st).Findings(ctx)
	if err != nil {
		return err
	}
	return failOn(c.FailOn, fs)
}

func loadPolicy(file string) (*policy.Policy, error) {
	if file == "" {
		return policy.Default(), nil
	}
	p, err := policy.Load(file)
	if err != nil {
		return nil, fmt.Errorf("policy %s: %w", file, err)
	}
	return p, nil
}

func parseNow(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("--now: %w", err)
	}
	return t.UTC(), nil
}

func writeSummary(w io.Writer, s *analyze.Summary) error {
	fmt.Fprintf(w, "analysis %s: %d identities, %d findings observed, %d rows written, %d transitions, %d identities whose use no source can see\n",
		s.AnalysisID, s.Identities, s.Observed, s.Written, s.TransitionCount, s.Unobservable)
	tw := newTable(w)
	fmt.Fprintln(tw, "RULE\tSEVERITY\tSTATE\tFINDINGS")
	for _, c := range s.Counts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\n", c.Rule, c.Severity, c.State, c.N)
	}
	return tw.Flush()
}

func writeTimings(w io.Writer, steps []detect.Step) {
	var parts []string
	total := 0.0
	for _, s := range steps {
		parts = append(parts, fmt.Sprintf("%s %.3fs", s.Name, s.Seconds))
		total += s.Seconds
	}
	fmt.Fprintf(w, "took %.3fs: %s\n", total, strings.Join(parts, ", "))
}

type findingsCmd struct {
	Rule     string `help:"Only this rule."`
	State    string `help:"Only this state."`
	Owner    string `help:"Only this owner (directory id)."`
	Severity string `help:"Only this severity."`
	Host     string `help:"Only findings on this host."`
	Output   string `help:"Output format." enum:"table,json,jsonl,csv" default:"table" short:"o"`
	FailOn   string `help:"Exit with status 3 when an active finding listed is at or above this severity (for CI)." enum:",low,medium,high,critical" default:"" name:"fail-on"`
}

func (c *findingsCmd) Run(ctx context.Context, root *cli) error { return c.run(ctx, root, os.Stdout) }

func (c *findingsCmd) run(ctx context.Context, root *cli, w io.Writer) error {
	st, err := root.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	all, err := findingdb.New(st).Findings(ctx)
	if err != nil {
		return err
	}
	shown := c.filter(all)
	if err := writeFindings(w, c.Output, shown); err != nil {
		return err
	}
	return failOn(c.FailOn, shown)
}

func (c *findingsCmd) filter(all []findings.Finding) []findings.Finding {
	out := []findings.Finding{}
	for _, f := range all {
		if (c.Rule != "" && f.Rule != c.Rule) || (c.State != "" && f.State != c.State) ||
			(c.Owner != "" && f.Owner != c.Owner) || (c.Severity != "" && f.Severity != c.Severity) ||
			(c.Host != "" && !contains(f.Hosts, c.Host)) {
			continue
		}
		out = append(out, f)
	}
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

func writeFindings(w io.Writer, format string, fs []findings.Finding) error {
	if done, err := writeMachine(w, format, fs); done {
		return err
	}
	switch format {
	case "csv":
		return writeFindingsCSV(w, fs)
	}
	return writeFindingsTable(w, fs)
}

var csvHeader = []string{"finding_id", "rule", "severity", "state", "nhi_id", "kind", "principal", "hosts", "locations",
	"owner", "owner_status", "first_detected", "last_detected", "resolved_at", "evidence", "controls", "policy"}

func writeFindingsCSV(w io.Writer, fs []findings.Finding) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	for _, f := range fs {
		if err := cw.Write([]string{f.FindingID, f.Rule, f.Severity, f.State, f.NHIID, f.Kind, f.Principal,
			strings.Join(f.Hosts, ";"), strings.Join(f.Locations, ";"), f.Owner, f.OwnerStatus,
			stamp(f.FirstDetected), stamp(f.LastDetected), stamp(f.ResolvedAt), strings.Join(f.Evidence, " | "),
			strings.Join(f.Controls, ";"), f.Policy}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func writeFindingsTable(w io.Writer, fs []findings.Finding) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "FINDING\tRULE\tSEVERITY\tSTATE\tKIND\tPRINCIPAL\tHOSTS\tOWNER\tFIRST DETECTED\tEVIDENCE")
	for _, f := range fs {
		owner := f.Owner
		if owner == "" {
			owner = "(" + f.OwnerStatus + ")"
		}
		ev := ""
		if len(f.Evidence) > 0 {
			ev = f.Evidence[0]
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", f.FindingID, f.Rule, f.Severity, f.State, f.Kind,
			f.Principal, strings.Join(f.Hosts, ","), owner, stamp(f.FirstDetected), ev)
	}
	fmt.Fprintf(tw, "\n%d findings\n", len(fs))
	return tw.Flush()
}

type explainCmd struct {
	Finding string `arg:"" help:"The finding id (f-…)."`
	Policy  string `help:"Policy file, to name the owner's reason and policy line (default: the built-in policy)." type:"existingfile" placeholder:"FILE"`
}

func (c *explainCmd) Run(ctx context.Context, root *cli) error { return c.run(ctx, root, os.Stdout) }

func (c *explainCmd) run(ctx context.Context, root *cli, w io.Writer) error {
	st, err := root.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	p, err := loadPolicy(c.Policy)
	if err != nil {
		return err
	}
	return explain(ctx, w, st, p, c.Finding)
}

func explain(ctx context.Context, w io.Writer, st *store.Store, p policy.Decider, id string) error {
	all, err := findingdb.New(st).Findings(ctx)
	if err != nil {
		return err
	}
	var f *findings.Finding
	for i := range all {
		if all[i].FindingID == id {
			f = &all[i]
		}
	}
	if f == nil {
		return fmt.Errorf("no finding %q (see nhictl findings)", id)
	}
	hist, err := findingdb.New(st).FindingEvents(ctx, id)
	if err != nil {
		return err
	}
	reason, err := ownerReason(ctx, st, p, f.NHIID)
	if err != nil {
		return err
	}
	writeExplanation(w, f, reason, hist)
	return nil
}

// ownerReason asks the policy again why the identity has its owner: the
// finding stores who, the policy says why.
func ownerReason(ctx context.Context, st *store.Store, p policy.Decider, nhiID string) (string, error) {
	ids, err := detect.LoadIdentities(ctx, detect.Source{Conn: st.Conn(), Table: st.Table})
	if err != nil {
		return "", err
	}
	for _, id := range ids {
		if id.NHIID == nhiID {
			o := p.Owner(id.Policy())
			if o.Manager != "" {
				return o.Reason + "; remediation goes to manager " + o.Manager, nil
			}
			return o.Reason, nil
		}
	}
	return "the identity is no longer in the inventory", nil
}

// policyLine quotes file:line from the policy file when it can be read.
func policyLine(src string) string {
	file, n, ok := strings.Cut(src, ":")
	line, err := strconv.Atoi(n)
	if !ok || err != nil {
		return ""
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return ""
	}
	lines := strings.Split(string(b), "\n")
	if line < 1 || line > len(lines) {
		return ""
	}
	return strings.TrimSpace(lines[line-1])
}

func writeExplanation(w io.Writer, f *findings.Finding, reason string, hist []findings.Transition) {
	fmt.Fprintf(w, "%s: %s (%s), %s\n", f.FindingID, f.Rule, f.Severity, f.State)
	fmt.Fprintf(w, "identity:  %s %s (nhi_id %s)\n", f.Kind, f.Principal, f.NHIID)
	fmt.Fprintf(w, "hosts:     %s\n", strings.Join(f.Hosts, ", "))
	fmt.Fprintf(w, "locations: %s\n", strings.Join(f.Locations, ", "))
	owner := f.Owner
	if owner == "" {
		owner = "none"
	}
	fmt.Fprintf(w, "owner:     %s (%s): %s\n", owner, f.OwnerStatus, reason)
	fmt.Fprintf(w, "policy:    %s", f.Policy)
	if q := policyLine(f.Policy); q != "" {
		fmt.Fprintf(w, "  %q", q)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "controls:  %s\n", strings.Join(f.Controls, ", "))
	fmt.Fprintf(w, "detected:  first %s, last %s", stamp(f.FirstDetected), stamp(f.LastDetected))
	if !f.ResolvedAt.IsZero() {
		fmt.Fprintf(w, ", resolved %s", stamp(f.ResolvedAt))
	}
	fmt.Fprintln(w, "\nevidence:")
	for _, e := range f.Evidence {
		fmt.Fprintf(w, "  - %s\n", e)
	}
	fmt.Fprintln(w, "history:")
	for _, t := range hist {
		from := t.From
		if from == "" {
			from = "(new)"
		}
		fmt.Fprintf(w, "  %s  %s -> %s by %s: %s\n", stamp(t.At), from, t.To, t.By, t.Why)
	}
}
