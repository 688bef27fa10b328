package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/alecthomas/kong"

	"github.com/nhiradar/nhiradar/analytics/analyze/analyzetest"
	"github.com/nhiradar/nhiradar/analytics/findings"
	"github.com/nhiradar/nhiradar/collector/store/eventdb"
	"github.com/nhiradar/nhiradar/internal/devservices"
)

// TestAnalyzeFindingsExplain runs the fixture's phases through nhictl
// analyze --now, then lists and explains the findings in every format.
func TestAnalyzeFindingsExplain(t *testing.T) {
	ctx := context.Background()
	root := &cli{ClickHouse: []string{devservices.ClickHouseAddr(t)}, Database: devservices.UniqueName("nhictl_findings"), User: "default"}
	st, err := root.connect(ctx) // the test creates the database
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	defer st.Conn().Exec(ctx, "DROP DATABASE IF EXISTS "+st.Database()) //nolint:errcheck
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	pol := analyzetest.PolicyFile(t)
	outbox := filepath.Join(t.TempDir(), "outbox.db")
	// The policy's temporary path is not part of the goldens.
	clean := func(b []byte) []byte { return bytes.ReplaceAll(b, []byte(filepath.Dir(pol)), []byte("POLICYDIR")) }
	var all bytes.Buffer
	for _, ph := range analyzetest.Phases() {
		if len(ph.Events) > 0 {
			if err := eventdb.New(st).InsertEvents(ctx, ph.Events); err != nil {
				t.Fatal(err)
			}
		}
		var out bytes.Buffer
		if err := (&analyzeCmd{Policy: pol, Now: ph.Now.Format("2006-01-02T15:04:05Z"), Outbox: outbox}).run(ctx, root, &out); err != nil {
			t.Fatal(err)
		}
		all.Write(out.Bytes())
	}
	golden(t, filepath.Join("testdata", "analyze.golden"), all.Bytes())

	for _, format := range []string{"table", "json", "jsonl", "csv"} {
		var out bytes.Buffer
		if err := (&findingsCmd{Output: format}).run(ctx, root, &out); err != nil {
			t.Fatal(err)
		}
		noSecret(t, format, out.Bytes())
		golden(t, filepath.Join("testdata", "findings."+format+".golden"), clean(out.Bytes()))
		all.Write(out.Bytes())
	}
	checkFormats(t, ctx, root)

	var out bytes.Buffer
	id := findings.ID(findings.LongLived, analyzetest.KeyReused, "")
	if err := (&explainCmd{Finding: id, Policy: pol}).run(ctx, root, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"long_lived (medium), reopened", "owner:     none (none): no owner rule",
		"controls:  OWASP-NHI:NHI7", "open -> ticketed by ticket-sync: ticket NHI-", "ticketed -> resolved by analyze: the latest complete full scans of prod-web-1, stg-app-1 no longer list it",
		"resolved -> reopened"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("explain lacks %q:\n%s", want, out.String())
		}
	}
	golden(t, filepath.Join("testdata", "explain.golden"), clean(out.Bytes()))
	out.Reset()
	dep := findings.ID(findings.OwnerDeparted, analyzetest.KeyDeploy, "")
	if err := (&explainCmd{Finding: dep, Policy: pol}).run(ctx, root, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "owner:     bob (departed): owner rule at ") || !strings.Contains(out.String(), "remediation goes to manager carol") {
		t.Fatalf("explain owner_departed:\n%s", out.String())
	}
	all.Write(out.Bytes())
	if err := (&explainCmd{Finding: "f-nope"}).run(ctx, root, &out); err == nil || !strings.Contains(err.Error(), `no finding "f-nope"`) {
		t.Fatalf("explain of an unknown finding: %v", err)
	}
	checkInventory(t, ctx, root, pol, &all)
	noSecret(t, "all output", all.Bytes())
}

// checkInventory: owner, owner status, age and usage coverage per identity.
func checkInventory(t *testing.T, ctx context.Context, root *cli, pol string, all *bytes.Buffer) {
	var out bytes.Buffer
	if err := (&inventoryCmd{Format: "jsonl", Policy: pol, Now: "2026-03-11T00:00:00Z"}).run(ctx, root, &out); err != nil {
		t.Fatal(err)
	}
	all.Write(out.Bytes())
	rows := map[string]map[string]any{}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var r map[string]any
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("inventory line %q: %v", line, err)
		}
		rows[r["nhi_id"].(string)] = r
	}
	dep, wk, key := rows[analyzetest.KeyDeploy], rows[analyzetest.KeyWorker], rows[analyzetest.KeyReused]
	if dep["owner"] != "bob" || dep["owner_status"] != "departed" ||
		dep["usage"] != "observable: ssh_login in /var/log/auth.log on prod-web-2 since 2025-01-25" {
		t.Fatalf("deploy key inventory %v", dep)
	}
	if wk["usage"] != "unobservable" || wk["owner"] != "alice" {
		t.Fatalf("worker key inventory %v", wk)
	}
	if key["age_since"] != "2024-03-31T00:00:00Z" || key["owner_status"] != "none" {
		t.Fatalf("reused key inventory %v", key)
	}
	out.Reset()
	if err := (&inventoryCmd{Format: "table", Policy: pol, Now: "2026-03-11T00:00:00Z"}).run(ctx, root, &out); err != nil {
		t.Fatal(err)
	}
	all.Write(out.Bytes())
	golden(t, filepath.Join("testdata", "inventory.golden"), out.Bytes())
}

// checkFormats parses the machine formats and applies the filters.
func checkFormats(t *testing.T, ctx context.Context, root *cli) {
	var out bytes.Buffer
	if err := (&findingsCmd{Output: "json", Rule: "exposed_file", Host: "prod-web-1"}).run(ctx, root, &out); err != nil {
		t.Fatal(err)
	}
	var arr []map[string]any
	if err := json.Unmarshal(out.Bytes(), &arr); err != nil || len(arr) != 1 {
		t.Fatalf("json: %v, %d findings:\n%s", err, len(arr), out.String())
	}
	for _, k := range []string{"finding_id", "rule", "severity", "state", "nhi_id", "kind", "principal", "hosts", "locations",
		"owner", "owner_status", "first_detected", "last_detected", "resolved_at", "evidence", "controls", "policy"} {
		if _, ok := arr[0][k]; !ok {
			t.Fatalf("json lacks %s: %v", k, arr[0])
		}
	}
	out.Reset()
	// Once a ticket is open for it, a finding is ticketed.
	if err := (&findingsCmd{Output: "jsonl", Owner: "alice", State: "ticketed", Severity: "high"}).run(ctx, root, &out); err != nil {
		t.Fatal(err)
	}
	if out.Len() == 0 {
		t.Fatal("jsonl: no ticketed high finding of alice")
	}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var f findings.Finding
		if err := json.Unmarshal([]byte(line), &f); err != nil || f.Owner != "alice" || f.State != "ticketed" || f.Severity != "high" {
			t.Fatalf("jsonl line %q: %v", line, err)
		}
	}
	out.Reset()
	if err := (&findingsCmd{Output: "csv", State: "resolved"}).run(ctx, root, &out); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&out).ReadAll()
	if err != nil || len(recs) != 4 || recs[0][0] != "finding_id" {
		t.Fatalf("csv of resolved: %v %q", err, recs)
	}
}

func noSecret(t *testing.T, what string, b []byte) {
	t.Helper()
	for _, s := range analyzetest.Secrets {
		if bytes.Contains(b, []byte(s)) || bytes.Contains(b, []byte(analyzetest.Fingerprint(s))) {
			t.Fatalf("%s holds a fixture secret or its fingerprint", what)
		}
	}
}

// TestCLIParses: the new commands and flags parse as documented.
func TestCLIParses(t *testing.T) {
	var c cli
	k, err := kong.New(&c, options()...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Parse([]string{"findings", "--rule", "dormant", "--state", "open", "--owner", "bob", "--severity", "high",
		"--host", "h1", "--output", "csv"}); err != nil {
		t.Fatal(err)
	}
	if f := c.Findings; f.Rule != "dormant" || f.State != "open" || f.Owner != "bob" || f.Severity != "high" || f.Host != "h1" || f.Output != "csv" {
		t.Fatalf("findings flags %+v", f)
	}
	if _, err := k.Parse([]string{"findings", "--output", "xml"}); err == nil {
		t.Fatal("--output xml accepted")
	}
	if _, err := k.Parse([]string{"analyze", "--now", "2026-03-01T00:00:00Z"}); err != nil || c.Analyze.Now != "2026-03-01T00:00:00Z" {
		t.Fatalf("analyze --now: %v %+v", err, c.Analyze)
	}
	if _, err := k.Parse([]string{"explain", "f-0123"}); err != nil || c.Explain.Finding != "f-0123" {
		t.Fatalf("explain: %v %+v", err, c.Explain)
	}
	if _, err := parseNow("yesterday"); err == nil {
		t.Fatal("--now yesterday accepted")
	}
}
