package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/nhiradar/nhiradar/collector/store"
	"github.com/nhiradar/nhiradar/collector/store/eventdb"
	"github.com/nhiradar/nhiradar/collector/store/storetest"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// TestCompactPrunesSupersededScans: a host scanned daily keeps only the
// scans since ScanHistory once a complete full scan came since; a host
// whose last complete full scan is older keeps every scan, as does a host
// with no complete full scan since (an incomplete one, a partial one).
// What the inventory says of each host's identities does not change.
func TestCompactPrunesSupersededScans(t *testing.T) {
	st := storetest.Migrated(t)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	ago := func(d int) time.Time { return now.Add(-time.Duration(d) * 24 * time.Hour) }
	// Every scan met an unreadable path: what it could not read goes with it.
	scan := func(host string, started time.Time, full bool, parts int, seen ...string) *event.Event {
		e := &event.Event{Type: event.TypeScanCompleted, Plugin: "credfiles", ScanID: event.NewID(),
			Scan: &event.Scan{Full: full, StartedAt: started, FinishedAt: started.Add(time.Minute), Seen: seen, Part: 1, Parts: parts,
				Unreadable: []string{fmt.Sprintf("/home/%s/%d", host, int(now.Sub(started).Hours()/24))}}}
		e.Complete("agent-"+host, host, started.Add(time.Minute))
		return e
	}
	var evs []*event.Event
	observe := func(host, principal string, at time.Time) string {
		o := storetest.Observed(host, principal, "", at)
		evs = append(evs, o)
		return o.NHIID
	}
	daily := observe("daily", "AKIAPRUNEDAILY000001", ago(20))
	gone := observe("daily", "AKIAPRUNEGONE0000001", ago(20))
	stale := observe("stale", "AKIAPRUNESTALE000001", ago(30))
	observe("partial", "AKIAPRUNEPARTIAL0001", ago(12))
	observe("daily", "AKIAPRUNEDAILY000001", ago(2))
	evs = append(evs,
		scan("daily", ago(20), true, 1, daily, gone), scan("daily", ago(15), true, 2, daily), // the second: one part of two
		scan("daily", ago(10), true, 1, daily, gone), scan("daily", ago(2), true, 1, daily),
		scan("stale", ago(30), true, 1, stale), scan("stale", ago(20), true, 1),
		scan("partial", ago(12), true, 2), scan("partial", ago(1), false, 1))
	if err := eventdb.New(st).InsertEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	inventory := func() []string {
		rows, err := st.Conn().Query(ctx, "SELECT nhi_id, still_present, arraySort(present_hosts) FROM nhi_inventory ORDER BY nhi_id")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var id string
			var still uint8
			var hosts []string
			if err := rows.Scan(&id, &still, &hosts); err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprint(id, still, hosts))
		}
		return out
	}
	before := inventory()
	done, err := st.Compact(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	if done.ScansPruned != 3 || done.UnreadablePruned != 3 {
		t.Errorf("pruned %d scan rows and the unreadable paths of %d scans, want daily's three before the last week", done.ScansPruned, done.UnreadablePruned)
	}
	waitForMutations(t, st, "scan_state")
	scans := map[string][]int{}
	rows, err := st.Conn().Query(ctx, `SELECT host, toUInt32(started) FROM (SELECT host, scan_id, maxMerge(started_at) AS started
		FROM scan_state GROUP BY host, scan_id) ORDER BY host, started`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var host string
		var started uint32
		if err := rows.Scan(&host, &started); err != nil {
			t.Fatal(err)
		}
		scans[host] = append(scans[host], int(now.Sub(time.Unix(int64(started), 0))/(24*time.Hour)))
	}
	want := map[string][]int{"daily": {2}, "stale": {30, 20}, "partial": {12, 1}}
	for host, days := range want {
		if !slices.Equal(scans[host], days) {
			t.Errorf("%s keeps scans of %v days ago, want %v", host, scans[host], days)
		}
	}
	if after := inventory(); !slices.Equal(after, before) {
		t.Errorf("inventory changed by pruning:\n%v\n%v", before, after)
	}
	waitForMutations(t, st, "scan_unreadable_state")
	var unreadable []string
	if err := st.Conn().QueryRow(ctx, `SELECT groupArray(p) FROM (SELECT arrayJoin(groupUniqArrayArrayMerge(unreadable)) AS p
		FROM scan_unreadable_state GROUP BY host, plugin, scan_id ORDER BY p)`).Scan(&unreadable); err != nil {
		t.Fatal(err)
	}
	if want := []string{"/home/daily/2", "/home/partial/1", "/home/partial/12", "/home/stale/20", "/home/stale/30"}; !slices.Equal(unreadable, want) {
		t.Errorf("unreadable paths kept: %v, want those of the scans kept %v", unreadable, want)
	}
	// Nothing more to prune: no second delete.
	if again, err := st.Compact(ctx, now); err != nil || again.ScansPruned != 0 || again.UnreadablePruned != 0 {
		t.Errorf("second compaction pruned %d and %d (%v), want 0", again.ScansPruned, again.UnreadablePruned, err)
	}
}

// waitForMutations waits until table's deletes have rewritten its parts.
func waitForMutations(t *testing.T, st *store.Store, table string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := st.AwaitMutations(ctx, table); err != nil {
		t.Fatal(err)
	}
}

// TestPruneKeepsThousandsOfStalePairs: when most of a fleet has not
// completed a full scan for a week (an outage), the pairs kept are too
// many for the server's default query size; the pruning still runs and
// still deletes the superseded scans of the hosts that did scan.
func TestPruneKeepsThousandsOfStalePairs(t *testing.T) {
	st := storetest.Migrated(t)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	old := now.Add(-30 * 24 * time.Hour)
	var evs []*event.Event
	scan := func(host string, started time.Time) *event.Event {
		e := &event.Event{Type: event.TypeScanCompleted, Plugin: "credfiles", ScanID: event.NewID(),
			Scan: &event.Scan{Full: true, StartedAt: started, FinishedAt: started.Add(time.Minute), Seen: []string{}, Part: 1, Parts: 1}}
		e.Complete("agent-"+host, host, started.Add(time.Minute))
		return e
	}
	for i := 0; i < 14000; i++ {
		evs = append(evs, scan(fmt.Sprintf("stale-%05d", i), old))
	}
	evs = append(evs, scan("daily", old), scan("daily", now.Add(-time.Hour)))
	if err := eventdb.New(st).InsertEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	done, err := st.Compact(ctx, now)
	if err != nil || done.ScansPruned != 1 {
		t.Fatalf("compaction with 14,000 stale hosts: pruned %d (%v), want daily's old scan", done.ScansPruned, err)
	}
	waitForMutations(t, st, "scan_state")
	var left uint64
	if err := st.Conn().QueryRow(ctx, "SELECT count() FROM scan_state").Scan(&left); err != nil || left != 14001 {
		t.Fatalf("scan_state keeps %d rows (%v), want the 14,000 stale scans and daily's latest", left, err)
	}
}

// TestPruneUnreadableInBatches: the unreadable paths of many pruned scans
// go in several deletes, none left behind and none of a kept scan taken.
func TestPruneUnreadableInBatches(t *testing.T) {
	st := storetest.Migrated(t)
	store.SetUnreadableBatch(t, 4)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	var evs []*event.Event
	scan := func(host string, started time.Time, path string) {
		e := &event.Event{Type: event.TypeScanCompleted, Plugin: "credfiles", ScanID: event.NewID(),
			Scan: &event.Scan{Full: true, StartedAt: started, FinishedAt: started.Add(time.Minute), Seen: []string{}, Part: 1, Parts: 1,
				Unreadable: []string{path}}}
		e.Complete("agent-"+host, host, started.Add(time.Minute))
		evs = append(evs, e)
	}
	for d := 8; d < 30; d++ {
		for _, host := range []string{"web-1", "web-2"} {
			scan(host, now.Add(-time.Duration(d)*24*time.Hour), fmt.Sprintf("/srv/%s/old-%d", host, d))
		}
		scan("stale", now.Add(-time.Duration(d)*24*time.Hour), fmt.Sprintf("/srv/stale/%d", d))
	}
	scan("web-1", now.Add(-time.Hour), "/srv/web-1/latest")
	scan("web-2", now.Add(-time.Hour), "/srv/web-2/latest")
	if err := eventdb.New(st).InsertEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	done, err := st.Compact(ctx, now)
	if err != nil || done.ScansPruned != 44 || done.UnreadablePruned != 44 {
		t.Fatalf("pruned %d scans and the unreadable paths of %d (%v), want web-1's and web-2's 22 old ones each", done.ScansPruned, done.UnreadablePruned, err)
	}
	waitForMutations(t, st, "scan_unreadable_state")
	var deletes uint64
	if err := st.Conn().QueryRow(ctx, "SELECT count() FROM system.mutations WHERE database = ? AND table = 'scan_unreadable_state'",
		st.Database()).Scan(&deletes); err != nil || deletes != 11 {
		t.Fatalf("%d deletes of scan_unreadable_state (%v), want 44 scans in batches of 4", deletes, err)
	}
	var hosts []string
	var stale uint64
	if err := st.Conn().QueryRow(ctx, `SELECT groupArrayIf(p, host != 'stale'), countIf(host = 'stale') FROM (
		SELECT host, arrayJoin(groupUniqArrayArrayMerge(unreadable)) AS p FROM scan_unreadable_state GROUP BY host, plugin, scan_id ORDER BY p)`).Scan(&hosts, &stale); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(hosts, []string{"/srv/web-1/latest", "/srv/web-2/latest"}) || stale != 22 {
		t.Fatalf("unreadable paths kept: %v and %d of the stale host's, want the latest scans' and all 22 stale ones", hosts, stale)
	}
}
