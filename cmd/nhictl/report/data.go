// Package report shapes what ClickHouse holds (identities, findings,
// tickets, agents) into the charts and tables of nhictl's HTML report. The
// shaping is pure, so it is tested without a browser; html.go renders it.
package report

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/nhiradar/nhiradar/analytics/findings"
	"github.com/nhiradar/nhiradar/collector/store/ticketdb"
)

// Identity is one inventory row as the report needs it: no fingerprint,
// nothing derived from a secret.
type Identity struct {
	Kind        string
	Principal   string
	Owner       string
	OwnerStatus string
	// AgeSince is when the credential was last set (the host's evidence);
	// zero when unknown, then FirstSeen stands in.
	AgeSince  time.Time
	FirstSeen time.Time
	Present   bool
}

// Agent is one row of the agents view (health from the last heartbeat).
type Agent struct {
	AgentID    string    `json:"agent_id"`
	Host       string    `json:"host"`
	FirstSeen  time.Time `json:"first_seen"`
	LastSeen   time.Time `json:"last_seen"`
	Version    string    `json:"version"`
	OS         string    `json:"os"`
	SpoolDepth int64     `json:"spool_depth"`
	SpoolBytes int64     `json:"spool_bytes"`
	Dropped    int64     `json:"dropped"`
	CPUPercent float64   `json:"cpu_percent"`
	RSSBytes   int64     `json:"rss_bytes"`
}

// Input is everything the report reads.
type Input struct {
	Now          time.Time
	Database     string
	Identities   []Identity
	Findings     []findings.Finding
	Tickets      []ticketdb.TicketRow
	TicketEvents []ticketdb.TicketEvent
	Agents       []Agent
}

// Report is the shaped page: summary numbers, chart data and table rows.
type Report struct {
	Generated time.Time
	Database  string
	Summary   Summary
	Charts    []Chart
	Findings  []FindingRow
	Tickets   []TicketRow
	Agents    []AgentRow
}

// Summary holds the headline numbers.
type Summary struct {
	Identities, Present                  int
	Findings, Active, Critical, High     int
	Opened, Verified, Reopened, OpenNow  int
	MedianFix                            string
	Agents, StaleAgents, AgentsWithDrops int
	ActiveBySeverity                     map[string]int
	FindingsByRule                       map[string]int
}

// Chart is one chart for Chart.js: labels on one axis, a series per dataset.
type Chart struct {
	ID         string   `json:"id"`
	Section    string   `json:"-"`
	Title      string   `json:"title"`
	Caption    string   `json:"-"`
	Type       string   `json:"type"` // bar or doughnut
	Stacked    bool     `json:"stacked"`
	Horizontal bool     `json:"horizontal"`
	Unit       string   `json:"unit,omitempty"`
	Labels     []string `json:"labels"`
	Series     []Series `json:"series"`
}

// Series is one dataset; Colors, when set, colours each label (severities).
type Series struct {
	Label  string    `json:"label"`
	Data   []float64 `json:"data"`
	Color  string    `json:"color,omitempty"`
	Colors []string  `json:"colors,omitempty"`
}

// Empty reports whether the chart has nothing to draw.
func (c Chart) Empty() bool {
	for _, s := range c.Series {
		for _, v := range s.Data {
			if v != 0 {
				return false
			}
		}
	}
	return true
}

// FindingRow is one line of the findings table.
type FindingRow struct {
	ID, Rule, Severity, State, Kind, Principal, Owner, OwnerStatus string
	SeverityRank                                                   int
	Hosts, Locations, Evidence, Controls                           []string
	FirstDetected, LastDetected, ResolvedAt                        string
}

// TicketRow is one line of the tickets table.
type TicketRow struct {
	ID, System, ExternalID, State, Severity, Owner, Title, Opened, Verified string
	Findings                                                                int
	FixDays                                                                 string
}

// AgentRow is one line of the agents table.
type AgentRow struct {
	Agent
	LastSeenAgo     string
	LastSeenSeconds int64
	Stale           bool
}

// StaleAfter is how long without a heartbeat (sent once a minute) makes an
// agent stale: long enough for a restart, short enough to be noticed.
const StaleAfter = 15 * time.Minute

// severities, most severe first: the order of every severity axis.
var severities = []string{"critical", "high", "medium", "low", "info"}

var severityColors = map[string]string{"critical": "#7f1d1d", "high": "#dc2626", "medium": "#f59e0b", "low": "#3b82f6", "info": "#9ca3af"}

var stateColors = map[string]string{findings.Open: "#dc2626", findings.Ticketed: "#f59e0b", findings.Verifying: "#8b5cf6",
	findings.Reopened: "#7f1d1d", findings.Resolved: "#16a34a", findings.Accepted: "#9ca3af"}

// palette colours series that have no colour of their own.
var palette = []string{"#2563eb", "#16a34a", "#f59e0b", "#dc2626", "#8b5cf6", "#0891b2", "#db2777", "#65a30d", "#9ca3af", "#ea580c"}

// frameworks names the control prefixes of findings.Finding.Controls, in
// the order the page shows them; an unknown prefix follows, by name.
var frameworks = []struct{ prefix, name string }{
	{"OWASP-NHI", "OWASP Non-Human Identities Top 10"}, {"NIST-CSF-2.0", "NIST CSF 2.0"}, {"PCI-DSS-4.0", "PCI DSS 4.0"},
	{"NIST-800-53", "NIST SP 800-53 r5"}, {"CIS-AWS", "CIS AWS Foundations"},
}

// frameworkOrder sorts the prefixes present: known ones first, in order.
func frameworkOrder(present []string) []string {
	var out []string
	for _, fw := range frameworks {
		if contains(present, fw.prefix) {
			out = append(out, fw.prefix)
		}
	}
	for _, p := range present {
		if !contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

func frameworkName(prefix string) string {
	for _, fw := range frameworks {
		if fw.prefix == prefix {
			return fw.name
		}
	}
	return prefix
}

// Active reports whether a finding still calls for work.
func Active(f findings.Finding) bool {
	return f.State != findings.Resolved && f.State != findings.Accepted
}

// Build shapes the input into the report.
func Build(in Input) Report {
	r := Report{Generated: in.Now.UTC(), Database: in.Database}
	fix := fixTimes(in.Tickets, in.TicketEvents)
	r.Charts = append(r.Charts, identityCharts(in)...)
	r.Charts = append(r.Charts, findingCharts(in.Findings)...)
	r.Charts = append(r.Charts, controlCharts(in.Findings)...)
	r.Charts = append(r.Charts, ticketCharts(in.Tickets, in.TicketEvents, fix)...)
	r.Charts = append(r.Charts, agentCharts(in.Agents, in.Now)...)
	r.Findings = findingRows(in.Findings)
	r.Tickets = ticketRows(in.Tickets, fix)
	r.Agents = agentRows(in.Agents, in.Now)
	r.Summary = summarize(in, r, fix)
	return r
}

// AgeBuckets are the age classes of credentials, youngest first; the last
// one is for identities of unknown age.
var AgeBuckets = []string{"< 30 days", "30–90 days", "90–365 days", "1–2 years", "> 2 years"}

// AgeBucket classes an identity's age at now.
func AgeBucket(since, now time.Time) string {
	d := now.Sub(since)
	switch {
	case d < 30*24*time.Hour:
		return AgeBuckets[0]
	case d < 90*24*time.Hour:
		return AgeBuckets[1]
	case d < 365*24*time.Hour:
		return AgeBuckets[2]
	case d < 2*365*24*time.Hour:
		return AgeBuckets[3]
	}
	return AgeBuckets[4]
}

func identityCharts(in Input) []Chart {
	kinds := uniq(in.Identities, func(i Identity) string { return i.Kind })
	byKind := Chart{ID: "identities-kind", Section: "identities", Title: "Identities by kind", Type: "bar", Stacked: true,
		Caption: "Every identity in the inventory; gone: the latest complete scans no longer list it.", Labels: kinds,
		Series: []Series{{Label: "present", Color: palette[0]}, {Label: "gone", Color: palette[8]}}}
	byKind.Series[0].Data, byKind.Series[1].Data = make([]float64, len(kinds)), make([]float64, len(kinds))
	age := Chart{ID: "identities-age", Section: "identities", Title: "Present identities by kind and age", Type: "bar", Stacked: true,
		Caption: "Age since the credential was last set (file time, creation), else since first seen.", Labels: AgeBuckets}
	ageIdx := map[string]int{}
	for i, k := range kinds {
		ageIdx[k] = i
		age.Series = append(age.Series, Series{Label: k, Color: palette[i%len(palette)], Data: make([]float64, len(AgeBuckets))})
	}
	for _, id := range in.Identities {
		k := index(kinds, id.Kind)
		if !id.Present {
			byKind.Series[1].Data[k]++
			continue
		}
		byKind.Series[0].Data[k]++
		since := id.AgeSince
		if since.IsZero() {
			since = id.FirstSeen
		}
		age.Series[ageIdx[id.Kind]].Data[index(AgeBuckets, AgeBucket(since, in.Now))]++
	}
	return []Chart{byKind, age, ownerChart(in.Findings)}
}

// ownerChart: active dormant, ownerless and departed-owner findings by the
// identity's owner, the people who must act (or "(no owner)").
func ownerChart(fs []findings.Finding) Chart {
	rules := []string{findings.Dormant, findings.Ownerless, findings.OwnerDeparted}
	var picked []findings.Finding
	for _, f := range fs {
		if Active(f) && contains(rules, f.Rule) {
			picked = append(picked, f)
		}
	}
	owners := uniq(picked, ownerLabel)
	c := Chart{ID: "owners", Section: "identities", Title: "Dormant and ownerless identities by owner", Type: "bar", Stacked: true,
		Caption: "Active findings of the rules dormant, ownerless and owner_departed.", Labels: owners}
	for i, rule := range rules {
		c.Series = append(c.Series, Series{Label: rule, Color: palette[(i+2)%len(palette)], Data: make([]float64, len(owners))})
	}
	for _, f := range picked {
		c.Series[index(rules, f.Rule)].Data[index(owners, ownerLabel(f))]++
	}
	return c
}

func ownerLabel(f findings.Finding) string {
	switch {
	case f.Owner == "":
		return "(no owner)"
	case f.OwnerStatus != "" && f.OwnerStatus != "active":
		return f.Owner + " (" + f.OwnerStatus + ")"
	}
	return f.Owner
}

func findingCharts(fs []findings.Finding) []Chart {
	rules := uniq(fs, func(f findings.Finding) string { return f.Rule })
	states := uniq(fs, func(f findings.Finding) string { return f.State })
	byRule := Chart{ID: "findings-rule", Section: "findings", Title: "Findings by rule and state", Type: "bar", Stacked: true, Horizontal: true,
		Caption: "Every finding's current state, resolved ones included.", Labels: rules}
	for _, s := range states {
		byRule.Series = append(byRule.Series, Series{Label: s, Color: stateColors[s], Data: make([]float64, len(rules))})
	}
	sev := Chart{ID: "findings-severity", Section: "findings", Title: "Active findings by severity", Type: "doughnut",
		Caption: "Findings neither resolved nor accepted.", Labels: severities,
		Series: []Series{{Label: "active findings", Data: make([]float64, len(severities))}}}
	for _, s := range severities {
		sev.Series[0].Colors = append(sev.Series[0].Colors, severityColors[s])
	}
	for _, f := range fs {
		byRule.Series[index(states, f.State)].Data[index(rules, f.Rule)]++
		if Active(f) {
			if i := index(severities, f.Severity); i >= 0 {
				sev.Series[0].Data[i]++
			}
		}
	}
	return []Chart{byRule, sev}
}

// controlCharts: one chart per framework, active findings per control,
// stacked by severity, so an auditor sees which control the gaps sit under.
func controlCharts(fs []findings.Finding) []Chart {
	per := map[string]map[string]map[string]int{} // framework -> control -> severity -> n
	for _, f := range fs {
		if !Active(f) {
			continue
		}
		for _, c := range f.Controls {
			fw, ctl, ok := strings.Cut(c, ":")
			if !ok {
				continue
			}
			if per[fw] == nil {
				per[fw] = map[string]map[string]int{}
			}
			if per[fw][ctl] == nil {
				per[fw][ctl] = map[string]int{}
			}
			per[fw][ctl][f.Severity]++
		}
	}
	var out []Chart
	for _, fw := range frameworkOrder(sortedKeys(per)) {
		name := frameworkName(fw)
		ctls := sortedKeys(per[fw])
		c := Chart{ID: "controls-" + strings.ToLower(fw), Section: "controls", Title: "Active findings by control: " + name, Type: "bar",
			Stacked: true, Caption: fmt.Sprintf("%s controls the active findings evidence (a finding counts under each of its controls).", fw),
			Labels: ctls}
		for _, s := range severities {
			ser := Series{Label: s, Color: severityColors[s], Data: make([]float64, len(ctls))}
			for i, ctl := range ctls {
				ser.Data[i] = float64(per[fw][ctl][s])
			}
			c.Series = append(c.Series, ser)
		}
		out = append(out, c)
	}
	return out
}

// fixTimes maps each verified ticket to the time from its opening to the
// first event that verified it.
func fixTimes(ts []ticketdb.TicketRow, evs []ticketdb.TicketEvent) map[string]time.Duration {
	opened := map[string]time.Time{}
	for _, t := range ts {
		if !t.OpenedAt.IsZero() && t.OpenedAt.Unix() > 0 {
			opened[t.TicketID] = t.OpenedAt
		}
	}
	for _, e := range sortedEvents(evs) {
		if _, ok := opened[e.TicketID]; !ok && e.From == "" {
			opened[e.TicketID] = e.At
		}
	}
	out := map[string]time.Duration{}
	for _, e := range sortedEvents(evs) {
		o, ok := opened[e.TicketID]
		if _, done := out[e.TicketID]; e.To == ticketdb.TicketVerified && ok && !done {
			out[e.TicketID] = e.At.Sub(o)
		}
	}
	return out
}

func sortedEvents(evs []ticketdb.TicketEvent) []ticketdb.TicketEvent {
	out := append([]ticketdb.TicketEvent(nil), evs...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}

// flowStates are the ticket_events transitions the flow chart counts.
var flowStates = []struct{ label, to, color string }{
	{"opened", ticketdb.TicketOpen, "#2563eb"}, {"verified", ticketdb.TicketVerified, "#16a34a"}, {"reopened", ticketdb.TicketReopened, "#dc2626"},
}

func ticketCharts(ts []ticketdb.TicketRow, evs []ticketdb.TicketEvent, fix map[string]time.Duration) []Chart {
	var days []string
	for _, e := range sortedEvents(evs) {
		if d := e.At.UTC().Format("2006-01-02"); index(days, d) < 0 && flowIndex(e) >= 0 {
			days = append(days, d)
		}
	}
	flow := Chart{ID: "ticket-flow", Section: "tickets", Title: "Ticket flow by day", Type: "bar",
		Caption: "Transitions recorded in ticket_events: tickets opened, verified fixed by the scans, reopened by the data.", Labels: days}
	for _, s := range flowStates {
		flow.Series = append(flow.Series, Series{Label: s.label, Color: s.color, Data: make([]float64, len(days))})
	}
	for _, e := range evs {
		if k := flowIndex(e); k >= 0 {
			flow.Series[k].Data[index(days, e.At.UTC().Format("2006-01-02"))]++
		}
	}
	ids := sortedKeys(fix)
	tf := Chart{ID: "time-to-fix", Section: "tickets", Title: "Time to verified fix", Type: "bar", Unit: "days",
		Caption: "Days from a ticket's opening until the scans verified its fix.", Labels: ids,
		Series: []Series{{Label: "days to verified fix", Color: palette[1], Data: make([]float64, len(ids))}}}
	for i, id := range ids {
		tf.Series[0].Data[i] = days1(fix[id])
	}
	return []Chart{flow, tf}
}

// flowIndex is the flow series an event counts in, -1 for none; opened
// counts only a ticket's first event, not a reopening's return to open.
func flowIndex(e ticketdb.TicketEvent) int {
	for i, s := range flowStates {
		if e.To == s.to && (s.to != ticketdb.TicketOpen || e.From == "") {
			return i
		}
	}
	return -1
}

func days1(d time.Duration) float64 {
	return float64(int64(d.Hours()/24*10+0.5)) / 10
}

// agentCharts: how each agent's spool and drops stand, how long since each
// was heard from, and which versions run (upgrades roll out agent by agent).
func agentCharts(as []Agent, now time.Time) []Chart {
	seen := Chart{ID: "agents-last-seen", Section: "agents", Title: "Agents: minutes since the last heartbeat", Type: "bar",
		Horizontal: true, Unit: "minutes", Caption: fmt.Sprintf("Heartbeats come once a minute; past %d minutes an agent counts as stale.", int(StaleAfter.Minutes())),
		Series: []Series{{Label: "minutes since last heartbeat", Color: palette[5]}}}
	versions := uniq(as, func(a Agent) string { return a.Version })
	ver := Chart{ID: "agents-version", Section: "agents", Title: "Agents by version", Type: "doughnut",
		Caption: "The version each agent reported last.", Labels: versions,
		Series: []Series{{Label: "agents", Data: make([]float64, len(versions))}}}
	for i := range versions {
		ver.Series[0].Colors = append(ver.Series[0].Colors, palette[i%len(palette)])
	}
	for _, a := range as {
		seen.Labels = append(seen.Labels, a.Host)
		seen.Series[0].Data = append(seen.Series[0].Data, float64(int64(now.Sub(a.LastSeen).Minutes())))
		ver.Series[0].Data[index(versions, a.Version)]++
	}
	return []Chart{spoolChart(as), seen, ver}
}

func spoolChart(as []Agent) Chart {
	c := Chart{ID: "agents", Section: "agents", Title: "Agents: spool depth and dropped events", Type: "bar",
		Caption: "From each agent's last heartbeat: events waiting in its spool, events it had to drop.",
		Series:  []Series{{Label: "spool depth", Color: palette[0]}, {Label: "dropped", Color: palette[3]}}}
	for _, a := range as {
		c.Labels = append(c.Labels, a.Host)
		c.Series[0].Data = append(c.Series[0].Data, float64(a.SpoolDepth))
		c.Series[1].Data = append(c.Series[1].Data, float64(a.Dropped))
	}
	return c
}

func findingRows(fs []findings.Finding) []FindingRow {
	out := make([]FindingRow, 0, len(fs))
	for _, f := range fs {
		out = append(out, FindingRow{ID: f.FindingID, Rule: f.Rule, Severity: f.Severity, State: f.State, Kind: f.Kind,
			Principal: f.Principal, Owner: f.Owner, OwnerStatus: f.OwnerStatus, SeverityRank: severityRank(f.Severity),
			Hosts: f.Hosts, Locations: f.Locations, Evidence: f.Evidence, Controls: f.Controls,
			FirstDetected: day(f.FirstDetected), LastDetected: day(f.LastDetected), ResolvedAt: day(f.ResolvedAt)})
	}
	// Most severe first, active before resolved: the order people work in.
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.SeverityRank != b.SeverityRank {
			return a.SeverityRank > b.SeverityRank
		}
		return a.Rule < b.Rule
	})
	return out
}

// severityRank orders severities for sorting: critical highest, an unknown
// severity lowest.
func severityRank(s string) int {
	if i := index(severities, s); i >= 0 {
		return len(severities) - i
	}
	return 0
}

func day(t time.Time) string {
	if t.IsZero() || t.Unix() <= 0 {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04")
}

func ticketRows(ts []ticketdb.TicketRow, fix map[string]time.Duration) []TicketRow {
	out := make([]TicketRow, 0, len(ts))
	for _, t := range ts {
		r := TicketRow{ID: t.TicketID, System: t.System, ExternalID: t.ExternalID, State: t.State, Severity: t.Severity,
			Owner: t.Owner, Title: t.Title, Opened: day(t.OpenedAt), Findings: len(t.FindingIDs)}
		if d, ok := fix[t.TicketID]; ok {
			r.FixDays = fmt.Sprintf("%.1f", days1(d))
		}
		out = append(out, r)
	}
	return out
}

func agentRows(as []Agent, now time.Time) []AgentRow {
	out := make([]AgentRow, 0, len(as))
	for _, a := range as {
		ago := now.Sub(a.LastSeen)
		out = append(out, AgentRow{Agent: a, LastSeenAgo: ago.Round(time.Minute).String(), LastSeenSeconds: int64(ago.Seconds()), Stale: ago > StaleAfter})
	}
	return out
}

func summarize(in Input, r Report, fix map[string]time.Duration) Summary {
	s := Summary{Identities: len(in.Identities), Findings: len(in.Findings), Agents: len(in.Agents),
		ActiveBySeverity: map[string]int{}, FindingsByRule: map[string]int{}}
	for _, id := range in.Identities {
		if id.Present {
			s.Present++
		}
	}
	for _, f := range in.Findings {
		s.FindingsByRule[f.Rule]++
		if Active(f) {
			s.Active++
			s.ActiveBySeverity[f.Severity]++
		}
	}
	s.Critical, s.High = s.ActiveBySeverity["critical"], s.ActiveBySeverity["high"]
	for _, e := range in.TicketEvents {
		switch flowIndex(e) {
		case 0:
			s.Opened++
		case 1:
			s.Verified++
		case 2:
			s.Reopened++
		}
	}
	for _, t := range in.Tickets {
		if t.Active() {
			s.OpenNow++
		}
	}
	s.MedianFix = median(fix)
	for _, a := range r.Agents {
		if a.Stale {
			s.StaleAgents++
		}
		if a.Dropped > 0 {
			s.AgentsWithDrops++
		}
	}
	return s
}

// median of the fix times in days, "-" when no ticket was verified.
func median(fix map[string]time.Duration) string {
	if len(fix) == 0 {
		return "-"
	}
	var ds []time.Duration
	for _, d := range fix {
		ds = append(ds, d)
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	m := ds[len(ds)/2]
	if len(ds)%2 == 0 {
		m = (ds[len(ds)/2-1] + ds[len(ds)/2]) / 2
	}
	return fmt.Sprintf("%.1f days", days1(m))
}

// uniq lists the distinct keys of xs, sorted.
func uniq[T any](xs []T, key func(T) string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if k := key(x); !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func index(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

func contains(list []string, s string) bool { return index(list, s) >= 0 }
