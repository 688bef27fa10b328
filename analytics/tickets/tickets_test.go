package tickets

import (
	"flag"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nhiradar/nhiradar/analytics/findings"
	"github.com/nhiradar/nhiradar/analytics/policy"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var now = time.Date(2026, 12, 2, 9, 30, 0, 0, time.UTC)

func testPolicy(t *testing.T, group bool) *policy.Policy {
	t.Helper()
	g := "false"
	if group {
		g = "true"
	}
	p, err := policy.Parse("policy.yaml", []byte(`version: 1
environments:
  production: ["prod-*"]
ticketing:
  system: local
  group_by_owner: `+g+`
  default_queue: security
  queue_by_environment:
    production: prod-ops
  queue_by_severity:
    medium: appsec
  priority:
    high: P2
  due_days:
    high: 5
`), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func sample() []findings.Finding {
	base := findings.Finding{Kind: "aws_access_key", Owner: "alice", OwnerStatus: "active", Controls: []string{"OWASP-NHI:NHI7"}, Policy: "defaults"}
	a, b, c, d := base, base, base, base
	a.FindingID, a.Rule, a.Severity, a.State, a.Principal = "f-aaaa", findings.Reused, "high", findings.Open, "AKIA2E4A7F3B244CQWXY"
	a.Hosts, a.Locations, a.Evidence = []string{"prod-web-1", "prod-web-2"}, []string{"/root/.aws/credentials"}, []string{"the same secret is on 2 hosts: prod-web-1, prod-web-2 (credfiles)"}
	b.FindingID, b.Rule, b.Severity, b.State, b.Principal = "f-bbbb", findings.Reused, "medium", findings.Reopened, "AKIA2E4A7F3B244CQWXZ"
	b.Hosts, b.Evidence = []string{"dev-1", "dev-2"}, []string{"the same secret is on 2 hosts"}
	c.FindingID, c.Rule, c.Severity, c.State = "f-cccc", findings.Dormant, "medium", findings.Ticketed
	d.FindingID, d.Rule, d.Severity, d.State = "f-dddd", findings.Reused, "low", findings.Resolved
	return []findings.Finding{b, a, c, d}
}

func TestPlanOneTicketPerFinding(t *testing.T) {
	got := Plan(sample(), testPolicy(t, false), now)
	if len(got) != 2 || got[0].Key != "f-aaaa" || got[1].Key != "f-bbbb" {
		t.Fatalf("planned %+v; want a ticket for each open or reopened finding, keyed by finding id", got)
	}
	a := got[0]
	if a.Priority != "P2" || a.Queue != "prod-ops" || !a.Due.Equal(time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)) || a.Type != Remediation {
		t.Errorf("f-aaaa: priority %q queue %q due %s type %s", a.Priority, a.Queue, a.Due, a.Type)
	}
	if b := got[1]; b.Priority != "medium" || b.Queue != "appsec" || !b.Due.Equal(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("f-bbbb: priority %q queue %q due %s; want the defaults and the severity's queue", b.Priority, b.Queue, b.Due)
	}
	golden(t, "testdata/reused.golden", a.Title+"\n\n"+a.Body)
}

func TestPlanGroupsByOwnerAndRule(t *testing.T) {
	got := Plan(sample(), testPolicy(t, true), now)
	if len(got) != 1 || !strings.HasPrefix(got[0].Key, "g-") || strings.Join(got[0].FindingIDs, ",") != "f-aaaa,f-bbbb" {
		t.Fatalf("planned %+v; want one ticket for alice's reused findings", got)
	}
	if got[0].Severity != "high" || got[0].Title != "[NHI Radar] reused: 2 identities of alice" {
		t.Errorf("group: severity %q title %q", got[0].Severity, got[0].Title)
	}
	again := Plan(sample(), testPolicy(t, true), now.Add(time.Hour))
	if again[0].Key != got[0].Key {
		t.Error("a group's key must not change between analyses")
	}
}

func TestEveryRuleHasARemedy(t *testing.T) {
	for _, r := range findings.Rules() {
		if _, ok := remedies[r]; !ok {
			t.Errorf("rule %s has no remedy", r)
		}
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != got {
		t.Errorf("%s differs (go test -update):\n%s", path, got)
	}
}
