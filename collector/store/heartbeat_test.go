package store

import (
	"context"
	"testing"
	"time"

	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// TestHeartbeatJSONBeforeUpgrade: heartbeats an older collector stored as
// JSON read through the typed columns after migration 0015, the nested
// budget included, and the agents view takes a newer collector's typed
// heartbeat after them.
func TestHeartbeatJSONBeforeUpgrade(t *testing.T) {
	st := openTest(t)
	ctx := context.Background()
	if err := st.Conn().Exec(ctx, "CREATE DATABASE "+st.Database()); err != nil {
		t.Fatal(err)
	}
	if err := st.dial(ctx, st.Database()); err != nil { // as Migrate does once it created the database
		t.Fatal(err)
	}
	ms, err := Migrations(st.Database(), "", FeaturesFor(st.ServerVersion()), 0)
	if err != nil {
		t.Fatal(err)
	}
	var before []Migration
	for _, m := range ms {
		if m.Version < 15 {
			before = append(before, m)
		}
	}
	for _, m := range before {
		for _, stmt := range m.SQL {
			if err := st.exec(ctx, stmt); err != nil {
				t.Fatalf("%s: %v", m.Name, err)
			}
		}
	}
	if err := st.Conn().Exec(ctx, "CREATE TABLE "+st.Database()+".schema_migrations (version UInt32, name String, applied_at DateTime DEFAULT now()) ENGINE = ReplacingMergeTree() ORDER BY version"); err != nil {
		t.Fatal(err)
	}
	for _, m := range before {
		if err := st.record(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	insertAsBefore(t, st, nil, fullHeartbeat(t0))
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	var version, reason string
	var depth, rss, pauses int64
	var cpu, budgetCPU float64
	var throttled uint8
	err = st.Conn().QueryRow(ctx, "SELECT hb_version, hb_spool_depth, hb_rss_bytes, hb_cpu_percent, hb_budget_cpu_percent, hb_budget_pauses, hb_budget_throttled, hb_budget_reason FROM events WHERE type = 'agent_heartbeat'").Scan(&version, &depth, &rss, &cpu, &budgetCPU, &pauses, &throttled, &reason)
	if err != nil {
		t.Fatal(err)
	}
	if version != "1.4.0" || depth != 12 || rss != 30<<20 || cpu != 1.5 || budgetCPU != 4.9 || pauses != 3 || throttled != 1 || reason != "cpu" {
		t.Errorf("old heartbeat reads version %q depth %d rss %d cpu %v, budget cpu %v pauses %d throttled %d reason %q",
			version, depth, rss, cpu, budgetCPU, pauses, throttled, reason)
	}
	newer := fullHeartbeat(t0.Add(time.Minute))
	newer.Heartbeat.SpoolDepth, newer.Heartbeat.Version = 5, "1.5.0"
	if err := st.InsertEvents(ctx, []*event.Event{newer}); err != nil {
		t.Fatal(err)
	}
	var agents uint64
	err = st.Conn().QueryRow(ctx, "SELECT count(), any(version), toInt64(any(spool_depth)), toFloat64(any(cpu_percent)) FROM agents").Scan(&agents, &version, &depth, &cpu)
	if err != nil {
		t.Fatal(err)
	}
	if agents != 1 || version != "1.5.0" || depth != 5 || cpu != 1.5 {
		t.Errorf("agents: %d rows, version %q, spool depth %d, cpu %v; want the newer heartbeat's", agents, version, depth, cpu)
	}
}

// TestPreparedInsertAgain: a prepared batch can be inserted again (the
// consumer's retry after a failed send) on a fresh connection, and its
// events were cleared from the caller's slice as they were appended.
func TestPreparedInsertAgain(t *testing.T) {
	st := openTest(t)
	ctx := context.Background()
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	events := []*event.Event{fullHeartbeat(t0), observed("h1", "AKIAAGAINAGAINAGAIN1", "", t0)}
	p := st.Prepare(ctx)
	p.Add(events)
	if events[0] != nil || events[1] != nil {
		t.Fatal("Add kept the caller's events")
	}
	for i := 0; i < 2; i++ {
		if err := p.Insert(ctx); err != nil {
			t.Fatalf("insert %d: %v", i+1, err)
		}
	}
	var n, distinct uint64
	if err := st.Conn().QueryRow(ctx, "SELECT count(), uniqExact(event_id) FROM events").Scan(&n, &distinct); err != nil {
		t.Fatal(err)
	}
	if distinct != 2 || n < 2 {
		t.Fatalf("%d rows, %d distinct events; want both events stored", n, distinct)
	}
}
