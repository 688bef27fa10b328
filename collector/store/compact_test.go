package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/nhiradar/nhiradar/collector/store/eventdb"
	"github.com/nhiradar/nhiradar/collector/store/storetest"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// TestCompact: after three days of sightings stored in three inserts, each
// maintained table is one part, events keep theirs, and the inventory
// reads the same rows as before.
func TestCompact(t *testing.T) {
	st := storetest.Migrated(t)
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	for day := 0; day < 3; day++ {
		seen := at.Add(time.Duration(day) * 24 * time.Hour)
		batch := []*event.Event{
			storetest.Observed("web-1", "AKIACOMPACTSHARED001", fmt.Sprintf("%064x", 1), seen),
			storetest.Observed("web-1", "AKIACOMPACTSHARED002", fmt.Sprintf("%064x", 2), seen),
			storetest.Observed(fmt.Sprintf("web-%d", 2+day), "AKIACOMPACTSHARED001", fmt.Sprintf("%064x", 1), seen),
		}
		if err := eventdb.New(st).InsertEvents(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	inventory := func() []string {
		rows, err := st.Conn().Query(ctx, "SELECT nhi_id, arraySort(hosts), first_seen, last_seen FROM nhi_inventory ORDER BY nhi_id")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var id string
			var hosts []string
			var first, last time.Time
			if err := rows.Scan(&id, &hosts, &first, &last); err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprint(id, hosts, first.Unix(), last.Unix()))
		}
		return out
	}
	parts := func(table string) uint64 {
		var n uint64
		if err := st.Conn().QueryRow(ctx, "SELECT count() FROM system.parts WHERE database = ? AND table = ? AND active",
			st.Database(), table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := inventory()
	if parts("identity_state") < 2 {
		t.Fatalf("identity_state has %d parts before compacting; the test needs several", parts("identity_state"))
	}
	eventParts := parts("events")
	done, err := st.Compact(ctx, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(done.Compacted))
	for _, c := range done.Compacted {
		names = append(names, c.Table)
	}
	for _, want := range []string{"identity_state", "sighting_state", "file_meta_state", "attr_state"} {
		if !slices.Contains(names, want) {
			t.Errorf("compacted %v: %s missing", names, want)
		}
	}
	for _, not := range []string{"events", "findings", "listing_state"} { // the raw history; tables without rows
		if slices.Contains(names, not) {
			t.Errorf("compacted %v: %s is not to be", names, not)
		}
	}
	for _, table := range []string{"identity_state", "sighting_state", "file_meta_state"} {
		if n := parts(table); n != 1 {
			t.Errorf("%s: %d parts after compacting, want 1", table, n)
		}
	}
	if n := parts("events"); n != eventParts {
		t.Errorf("events: %d parts after compacting, had %d", n, eventParts)
	}
	if after := inventory(); !slices.Equal(before, after) {
		t.Errorf("inventory changed by compacting:\n%v\n%v", before, after)
	}
}
