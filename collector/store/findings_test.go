package store

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/nhiradar/nhiradar/analytics/findings"
)

func TestTableNames(t *testing.T) {
	st := &Store{cfg: Config{Database: "nhi", Cluster: "c1"}}
	if got := st.Table("findings"); got != "findings_all" {
		t.Fatalf("Table(findings) on a cluster = %q", got)
	}
	if got := st.Table("nhi_inventory"); got != "nhi_inventory" {
		t.Fatalf("Table(nhi_inventory) on a cluster = %q", got)
	}
	if got := (&Store{cfg: Config{Database: "x"}}).Table("file_state"); got != "file_state" {
		t.Fatalf("Table(file_state) = %q", got)
	}
}

// TestDatabaseOnTheConnection: a store opened before its database exists
// is bound to it once Migrate created it, and one opened on an existing
// database is bound from the start; bare table names resolve there and
// nowhere else.
func TestDatabaseOnTheConnection(t *testing.T) {
	st := openTest(t)
	ctx := context.Background()
	if st.bound {
		t.Fatal("a store on a database that does not exist yet says it is bound to it")
	}
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if !st.bound {
		t.Fatal("Migrate created the database but left the connection unbound")
	}
	var current string
	if err := st.Conn().QueryRow(ctx, "SELECT currentDatabase()").Scan(&current); err != nil || current != st.Database() {
		t.Fatalf("currentDatabase() = %q (%v), want %q", current, err, st.Database())
	}
	again, err := Open(ctx, st.cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	var n uint64
	if !again.bound {
		t.Fatal("a store on an existing database is not bound to it")
	}
	if err := again.Conn().QueryRow(ctx, "SELECT count() FROM schema_migrations").Scan(&n); err != nil || n == 0 {
		t.Fatalf("schema_migrations through the bare name: %d rows, %v", n, err)
	}
}

// TestFindingsRoundTrip: the latest version of a finding wins, zero times
// come back zero, and transitions come back in order.
func TestFindingsRoundTrip(t *testing.T) {
	st := openTest(t)
	ctx := context.Background()
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	f := findings.Finding{FindingID: "f-1", Rule: findings.Ownerless, Severity: "medium", State: findings.Open, NHIID: "n1",
		Hosts: []string{"h1"}, FirstDetected: at, LastDetected: at, Evidence: []string{"no owner"}, Controls: findings.Controls(findings.Ownerless)}
	open := []findings.Transition{{FindingID: "f-1", From: "", To: findings.Open, At: at, Why: "detected", By: "analyze"}}
	if err := st.WriteFindings(ctx, uint64(at.UnixNano()), []findings.Finding{f}, open, "a1"); err != nil {
		t.Fatal(err)
	}
	later := at.Add(time.Hour)
	f.State, f.ResolvedAt, f.LastDetected = findings.Resolved, later, later
	res := []findings.Transition{{FindingID: "f-1", From: findings.Open, To: findings.Resolved, At: later, Why: "gone", By: "analyze"}}
	if err := st.WriteFindings(ctx, uint64(later.UnixNano()), []findings.Finding{f}, res, "a2"); err != nil {
		t.Fatal(err)
	}
	got, err := st.Findings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].State != findings.Resolved || !got[0].ResolvedAt.Equal(later) {
		t.Fatalf("findings %+v", got)
	}
	hist, err := st.FindingEvents(ctx, "f-1")
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
	if err := st.WriteFindings(ctx, 1, []findings.Finding{f}, nil, "a3"); err != nil {
		t.Fatal(err)
	}
	got, _ = st.Findings(ctx)
	if len(got) != 2 || !got[1].ResolvedAt.IsZero() {
		t.Fatalf("zero resolved_at did not come back zero: %+v", got)
	}
}
