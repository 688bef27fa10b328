package eventdb_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nhiradar/nhiradar/collector/store/eventdb"
	"github.com/nhiradar/nhiradar/collector/store/inventory"
	"github.com/nhiradar/nhiradar/collector/store/storetest"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

func TestInsertAndDeduplicate(t *testing.T) {
	st := storetest.Migrated(t)
	ctx := context.Background()
	a, b := storetest.WithAttrs("AKIA2E4A7F3B244CQWXY"), storetest.WithAttrs("AKIA2E4A7F3B244CQWXY")
	b.Location = "/home/alice/.aws/credentials"
	// The same batch delivered twice, as after a crash before the commit.
	for i := 0; i < 2; i++ {
		if err := eventdb.New(st).InsertEvents(ctx, []*event.Event{a, b}); err != nil {
			t.Fatal(err)
		}
	}
	var final uint64
	if err := st.Conn().QueryRow(ctx, "SELECT count() FROM events FINAL").Scan(&final); err != nil {
		t.Fatal(err)
	}
	if final != 2 {
		t.Fatalf("events FINAL = %d, want 2", final)
	}
	var keys, values []string
	var exp time.Time
	if err := st.Conn().QueryRow(ctx, "SELECT attr_keys, attr_values, expires_at FROM events WHERE event_id = ? LIMIT 1", a.EventID).Scan(&keys, &values, &exp); err != nil {
		t.Fatal(err)
	}
	if strings.Join(keys, ",") != "profile,region" || strings.Join(values, ",") != "default,eu-west-1" || !exp.Equal(*a.ExpiresAt) {
		t.Fatalf("stored attrs %v=%v expires %v", keys, values, exp)
	}
	inv, err := inventory.New(st).Rows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(inv) != 1 || len(inv[0].Locations) != 2 || inv[0].Hosts[0] != "web-01" {
		t.Fatalf("inventory = %+v, want one identity in two locations", inv)
	}
}

// TestPreparedInsertAgain: a prepared batch can be inserted again (the
// consumer's retry after a failed send) on a fresh connection, and its
// events were cleared from the caller's slice as they were appended.
func TestPreparedInsertAgain(t *testing.T) {
	st := storetest.Migrated(t)
	ctx := context.Background()
	events := []*event.Event{storetest.FullHeartbeat(storetest.T0), storetest.Observed("h1", "AKIAAGAINAGAINAGAIN1", "", storetest.T0)}
	p := eventdb.New(st).Prepare(ctx)
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
