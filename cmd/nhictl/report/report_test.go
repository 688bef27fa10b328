package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nhiradar/nhiradar/analytics/findings"
	"github.com/nhiradar/nhiradar/collector/store/ticketdb"
)

var now = time.Date(2026, 3, 11, 0, 0, 0, 0, time.UTC)

func d(n int) time.Time { return now.Add(-time.Duration(n) * 24 * time.Hour) }

func input() Input {
	return Input{Now: now, Database: "nhi",
		Identities: []Identity{
			{Kind: "aws_access_key", Principal: "AKIA1", AgeSince: d(800), Present: true},
			{Kind: "aws_access_key", Principal: "AKIA2", FirstSeen: d(10), Present: true}, // age unknown: first seen
			{Kind: "ssh_authorized_key", Principal: "SHA256:x", AgeSince: d(45), Present: true},
			{Kind: "api_key", Principal: "k", AgeSince: d(400), Present: false},
		},
		Findings: []findings.Finding{
			{FindingID: "f-1", Rule: findings.Dormant, Severity: "medium", State: findings.Ticketed, Owner: "bob", OwnerStatus: "departed",
				Controls: []string{"OWASP-NHI:NHI1", "NIST-CSF-2.0:PR.AA-01", "PCI-DSS-4.0:8.2.6"}, Principal: "b"},
			{FindingID: "f-2", Rule: findings.Ownerless, Severity: "medium", State: findings.Open, OwnerStatus: "none",
				Controls: []string{"OWASP-NHI:NHI1"}, Principal: "a"},
			{FindingID: "f-3", Rule: findings.Reused, Severity: "high", State: findings.Resolved,
				Controls: []string{"OWASP-NHI:NHI9"}, Principal: "c"},
			{FindingID: "f-4", Rule: findings.CrossEnvironment, Severity: "critical", State: findings.Reopened, Owner: "alice", OwnerStatus: "active",
				Controls: []string{"OWASP-NHI:NHI8", "OWASP-NHI:NHI9", "XYZ:1"}, Principal: "d"},
		},
		Tickets: []ticketdb.TicketRow{
			{TicketID: "t1", State: ticketdb.TicketVerified, OpenedAt: d(10), FindingIDs: []string{"f-3"}},
			{TicketID: "t2", State: ticketdb.TicketReopened, OpenedAt: d(10)},
			{TicketID: "t3", State: ticketdb.TicketVerified, OpenedAt: d(9)},
		},
		TicketEvents: []ticketdb.TicketEvent{
			{TicketID: "t1", At: d(10), To: ticketdb.TicketOpen},
			{TicketID: "t2", At: d(10), To: ticketdb.TicketOpen},
			{TicketID: "t3", At: d(9), To: ticketdb.TicketOpen},
			{TicketID: "t1", At: d(8), From: ticketdb.TicketOpen, To: ticketdb.TicketVerified},
			{TicketID: "t3", At: d(5), From: ticketdb.TicketOpen, To: ticketdb.TicketVerified},
			{TicketID: "t2", At: d(8), From: ticketdb.TicketOpen, To: ticketdb.TicketVerifying},
			{TicketID: "t2", At: d(6), From: ticketdb.TicketVerifying, To: ticketdb.TicketReopened},
			{TicketID: "t3", At: d(4), From: ticketdb.TicketVerified, To: ticketdb.TicketOpen}, // not a new opening
		},
		Agents: []Agent{
			{AgentID: "a1", Host: "h1", LastSeen: now.Add(-time.Minute), SpoolDepth: 5},
			{AgentID: "a2", Host: "h2", LastSeen: now.Add(-time.Hour), Dropped: 9},
		},
	}
}

func chart(t *testing.T, r Report, id string) Chart {
	t.Helper()
	for _, c := range r.Charts {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("no chart %s", id)
	return Chart{}
}

// series returns label -> value of one dataset.
func series(t *testing.T, c Chart, label string) map[string]float64 {
	t.Helper()
	for _, s := range c.Series {
		if s.Label == label {
			m := map[string]float64{}
			for i, v := range s.Data {
				m[c.Labels[i]] = v
			}
			return m
		}
	}
	t.Fatalf("chart %s has no series %s", c.ID, label)
	return nil
}

func TestBuildIdentitiesAndOwners(t *testing.T) {
	r := Build(input())
	kind := chart(t, r, "identities-kind")
	if p, g := series(t, kind, "present"), series(t, kind, "gone"); p["aws_access_key"] != 2 || p["api_key"] != 0 || g["api_key"] != 1 {
		t.Fatalf("by kind: present %v gone %v", p, g)
	}
	age := chart(t, r, "identities-age")
	if a := series(t, age, "aws_access_key"); a["> 2 years"] != 1 || a["< 30 days"] != 1 {
		t.Fatalf("aws keys by age %v", a)
	}
	if s := series(t, age, "ssh_authorized_key"); s["30–90 days"] != 1 {
		t.Fatalf("ssh keys by age %v", s)
	}
	if a := series(t, age, "api_key"); a["1–2 years"] != 0 {
		t.Fatal("a gone identity counted by age")
	}
	own := chart(t, r, "owners")
	if strings.Join(own.Labels, ",") != "(no owner),bob (departed)" || series(t, own, "dormant")["bob (departed)"] != 1 ||
		series(t, own, "ownerless")["(no owner)"] != 1 {
		t.Fatalf("owners %+v", own)
	}
}

func TestBuildFindingsAndControls(t *testing.T) {
	r := Build(input())
	sev := series(t, chart(t, r, "findings-severity"), "active findings")
	if sev["critical"] != 1 || sev["medium"] != 2 || sev["high"] != 0 { // the high one is resolved
		t.Fatalf("active by severity %v", sev)
	}
	if s := series(t, chart(t, r, "findings-rule"), findings.Resolved); s[findings.Reused] != 1 || s[findings.Dormant] != 0 {
		t.Fatalf("resolved by rule %v", s)
	}
	var ids []string
	for _, c := range r.Charts {
		if c.Section == "controls" {
			ids = append(ids, c.ID)
		}
	}
	// The brief's frameworks first, an unknown one last.
	if strings.Join(ids, ",") != "controls-owasp-nhi,controls-nist-csf-2.0,controls-pci-dss-4.0,controls-xyz" {
		t.Fatalf("control charts %v", ids)
	}
	owasp := chart(t, r, "controls-owasp-nhi")
	if m := series(t, owasp, "medium"); m["NHI1"] != 2 {
		t.Fatalf("NHI1 medium %v", m)
	}
	if c := series(t, owasp, "critical"); c["NHI9"] != 1 || c["NHI8"] != 1 { // the resolved reuse does not count
		t.Fatalf("OWASP critical %v", c)
	}
	if r.Findings[0].ID != "f-4" || r.Findings[len(r.Findings)-1].Severity != "medium" {
		t.Fatalf("table order: most severe first: %+v", r.Findings)
	}
}

func TestBuildTicketsAndAgents(t *testing.T) {
	r := Build(input())
	s := r.Summary
	if s.Opened != 3 || s.Verified != 2 || s.Reopened != 1 || s.OpenNow != 1 || s.MedianFix != "3.0 days" {
		t.Fatalf("ticket summary %+v", s)
	}
	flow := chart(t, r, "ticket-flow")
	if o := series(t, flow, "opened"); o[d(10).Format("2006-01-02")] != 2 || o[d(4).Format("2006-01-02")] != 0 {
		t.Fatalf("opened by day %v", o)
	}
	fix := series(t, chart(t, r, "time-to-fix"), "days to verified fix")
	if len(fix) != 2 || fix["t1"] != 2 || fix["t3"] != 4 {
		t.Fatalf("time to fix %v", fix)
	}
	if r.Tickets[0].FixDays != "2.0" || r.Tickets[1].FixDays != "" {
		t.Fatalf("ticket rows %+v", r.Tickets)
	}
	if s.Agents != 2 || s.StaleAgents != 1 || s.AgentsWithDrops != 1 || r.Agents[0].Stale || !r.Agents[1].Stale {
		t.Fatalf("agents %+v %+v", s, r.Agents)
	}
	if m := series(t, chart(t, r, "agents-last-seen"), "minutes since last heartbeat"); m["h1"] != 1 || m["h2"] != 60 {
		t.Fatalf("minutes since last heartbeat %v", m)
	}
	if Build(Input{Now: now}).Summary.MedianFix != "-" {
		t.Fatal("median of no fix")
	}
}

func TestAgeBucketEdges(t *testing.T) {
	for days, want := range map[int]string{0: "< 30 days", 29: "< 30 days", 30: "30–90 days", 90: "90–365 days", 365: "1–2 years", 730: "> 2 years"} {
		if got := AgeBucket(d(days), now); got != want {
			t.Errorf("%d days: %s, want %s", days, got, want)
		}
	}
}

// TestRenderEscapes: text from the store reaches the page only escaped:
// as HTML text in the tables and as JSON in the script, so evidence that
// looks like markup or a closing script tag runs nothing.
func TestRenderEscapes(t *testing.T) {
	in := input()
	evil := `</script><script>alert("x")</script><img src=x onerror=alert(1)>`
	in.Findings[0].Evidence = []string{evil}
	in.Findings[0].Principal = evil
	in.Identities[0].Kind = evil
	var buf bytes.Buffer
	if err := Render(&buf, Build(in)); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	if strings.Contains(page, evil) || strings.Contains(page, "<img") || strings.Count(page, "<script>") != 4 {
		t.Fatalf("unescaped store text on the page")
	}
	if !strings.Contains(page, "&lt;/script&gt;&lt;script&gt;alert(&#34;x&#34;)") {
		t.Fatal("evidence not shown as escaped text")
	}
	m := regexp.MustCompile(`(?s)<script>const NHI_CHARTS = (.*?);</script>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no chart data")
	}
	var charts []Chart
	if err := json.Unmarshal([]byte(m[1]), &charts); err != nil {
		t.Fatalf("chart data is not JSON: %v", err)
	}
	if strings.Contains(m[1], "</") || charts[1].Series[0].Label != evil {
		t.Fatalf("chart data not JSON-escaped or not round-tripping: %.200s", m[1])
	}
}

// TestRenderEmptyCharts: a chart without data shows "No data." and gets no
// canvas (nor data), so the script draws only what has something to show.
func TestRenderEmptyCharts(t *testing.T) {
	var buf bytes.Buffer
	if err := Render(&buf, Build(Input{Now: now, Database: "empty"})); err != nil {
		t.Fatal(err)
	}
	// [] and not null: the script iterates it.
	if n := strings.Count(buf.String(), "<canvas"); n != 0 || !strings.Contains(buf.String(), "No data.") ||
		!regexp.MustCompile(`const NHI_CHARTS = *\[\] *;`).MatchString(buf.String()) {
		t.Fatalf("empty report: %d canvases", n)
	}
}

// TestVendoredChartJS pins the vendored library (assets/README.md says
// where it came from) and checks what inlining drops.
func TestVendoredChartJS(t *testing.T) {
	sum := sha256.Sum256([]byte(chartJS))
	if got := hex.EncodeToString(sum[:]); got != "87364cc2b2a76a6684929e7d6b80b18a897794db38400caff1fcf1791c6925d2" {
		t.Fatalf("assets/chart.umd.min.js changed (sha256 %s): update assets/README.md and this pin", got)
	}
	if js := ChartJS(); strings.Contains(js, "sourceMappingURL") || !strings.HasPrefix(js, "/*!\n * Chart.js v4.6.1") {
		t.Fatal("inlined Chart.js still names its source map, or is not 4.6.1")
	}
}
