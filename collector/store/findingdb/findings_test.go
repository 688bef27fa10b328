package findingdb

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nhiradar/nhiradar/analytics/findings"
	"github.com/nhiradar/nhiradar/collector/store/storetest"
)

// TestFindingsRoundTrip: the latest version of a finding wins, zero times
// come back zero, and transitions come back in order.
func TestFindingsRoundTrip(t *testing.T) {
	db := New(storetest.Migrated(t))
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	f := findings.Finding{FindingID: "f-1", Rule: findings.Ownerless, Severity: "medium", State: findings.Open, NHIID: "n1",
		Hosts: []string{"h1"}, FirstDetected: at, LastDetected: at, Evidence: []string{"no owner"}, Controls: findings.Controls(findings.Ownerless)}
	open := []findings.Transition{{FindingID: "f-1", From: "", To: findings.Open, At: at, Why: "detected", By: "analyze"}}
	if err := db.WriteFindings(ctx, uint64(at.UnixNano()), []findings.Finding{f}, open, "a1"); err != nil {
		t.Fatal(err)
	}
	later := at.Add(time.Hour)
	f.State, f.ResolvedAt, f.LastDetected = findings.Resolved, later, later
	res := []findings.Transition{{FindingID: "f-1", From: findings.Open, To: findings.Resolved, At: later, Why: "gone", By: "analyze"}}
	if err := db.WriteFindings(ctx, uint64(later.UnixNano()), []findings.Finding{f}, res, "a2"); err != nil {
		t.Fatal(err)
	}
	got, err := db.Findings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].State != findings.Resolved || !got[0].ResolvedAt.Equal(later) {
		t.Fatalf("findings %+v", got)
	}
	hist, err := db.FindingEvents(ctx, "f-1")
	if err != nil {
		t.Fatal(err)
	}
	var states []string
	for _, h := range hist {
		states = append(states, h.From+">"+h.To)
	}
	if !slices.Equal(states, []string{">open", "open>resolved"}) {
		t.Fatalf("history %v", states)
	}
	f.FindingID, f.ResolvedAt = "f-2", time.Time{}
	if err := db.WriteFindings(ctx, 1, []findings.Finding{f}, nil, "a3"); err != nil {
		t.Fatal(err)
	}
	got, _ = db.Findings(ctx)
	if len(got) != 2 || !got[1].ResolvedAt.IsZero() {
		t.Fatalf("zero resolved_at did not come back zero: %+v", got)
	}
}

// TestFindingRecords: the compact records say what the rows say (the key
// the id spells, rule, severity, state, a per-host finding's host, Unix
// times, digest), the latest version winning; a malformed id is an error
// naming it.
func TestFindingRecords(t *testing.T) {
	db := New(storetest.Migrated(t))
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	exposed := findings.Finding{FindingID: findings.KeyOf(findings.ExposedFile, "n1", "h1").ID(), Rule: findings.ExposedFile,
		Severity: "high", State: findings.Open, NHIID: "n1", Hosts: []string{"h1"}, FirstDetected: at, LastDetected: at}
	dormant := findings.Finding{FindingID: findings.KeyOf(findings.Dormant, "n2", "").ID(), Rule: findings.Dormant,
		Severity: "medium", State: findings.Open, NHIID: "n2", Hosts: []string{"h1", "h2"}, FirstDetected: at, LastDetected: at}
	if err := db.WriteFindings(ctx, 1, []findings.Finding{exposed, dormant}, nil, "a1"); err != nil {
		t.Fatal(err)
	}
	later := at.Add(time.Hour)
	dormant.State, dormant.ResolvedAt, dormant.LastDetected = findings.Resolved, later, later
	if err := db.WriteFindings(ctx, 2, []findings.Finding{dormant}, nil, "a2"); err != nil {
		t.Fatal(err)
	}
	rs, err := db.FindingRecords(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[findings.Key]findings.Record{
		findings.KeyOf(findings.ExposedFile, "n1", "h1"): {Key: findings.KeyOf(findings.ExposedFile, "n1", "h1"), Rule: findings.ExposedFile,
			Severity: "high", State: findings.Open, NHIID: "n1", Host: "h1", FirstDetected: at.Unix(), LastDetected: at.Unix(),
			Digest: exposed.Digest()},
		findings.KeyOf(findings.Dormant, "n2", ""): {Key: findings.KeyOf(findings.Dormant, "n2", ""), Rule: findings.Dormant,
			Severity: "medium", State: findings.Resolved, NHIID: "n2", FirstDetected: at.Unix(), LastDetected: later.Unix(),
			ResolvedAt: later.Unix(), Digest: dormant.Digest()},
	}
	if len(rs) != len(want) {
		t.Fatalf("records %+v", rs)
	}
	for _, r := range rs {
		if r != want[r.Key] {
			t.Errorf("record %+v\nwant   %+v", r, want[r.Key])
		}
	}
	bad := exposed
	bad.FindingID = "f-not-a-key"
	if err := db.WriteFindings(ctx, 3, []findings.Finding{bad}, nil, "a3"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.FindingRecords(ctx); err == nil || !strings.Contains(err.Error(), "f-not-a-key") {
		t.Fatalf("malformed id: %v", err)
	}
}
