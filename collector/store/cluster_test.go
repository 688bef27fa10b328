package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nhiradar/nhiradar/collector/store"
	"github.com/nhiradar/nhiradar/collector/store/eventdb"
	"github.com/nhiradar/nhiradar/collector/store/storetest"
	"github.com/nhiradar/nhiradar/internal/devservices"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// TestClusterSchemaAndReplication runs the store against a real ClickHouse
// cluster (one shard, two replicas, ZooKeeper): migrations through one node
// create every table on both, with Replicated engines and Distributed
// tables; events inserted through one node are queryable, de-duplicated and
// aggregated, on the other; a collector on the other node finds the schema
// done.
func TestClusterSchemaAndReplication(t *testing.T) {
	c := devservices.ClickHouseCluster(t)
	ctx := context.Background()
	db := devservices.UniqueName("nhi_cluster")
	open := func(node string) *store.Store {
		st, err := store.Open(ctx, store.Config{Addr: []string{node}, Database: db, Cluster: c.Name})
		if err != nil {
			t.Fatalf("open %s: %v", node, err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	first, second, racer := open(c.Nodes[0]), open(c.Nodes[1]), open(c.Nodes[1])
	// Two collectors of a group start at once, one on each node: they take
	// turns through the migration lock and apply each migration once.
	var applied []string
	var errs [2]error
	var got [2][]string
	var wg sync.WaitGroup
	for i, st := range []*store.Store{first, racer} {
		wg.Add(1)
		go func() { defer wg.Done(); got[i], errs[i] = st.Migrate(ctx) }()
	}
	wg.Wait()
	applied = append(got[0], got[1]...)
	ms, err := store.Migrations(db, c.Name, store.FeaturesFor(first.ServerVersion()), 0)
	if err != nil {
		t.Fatal(err)
	}
	if errors.Join(errs[:]...) != nil || len(applied) != len(ms) {
		t.Fatalf("concurrent migrate through both nodes: applied %v and %v (%v); want %d migrations once", got[0], got[1], errors.Join(errs[:]...), len(ms))
	}
	tables := func(st *store.Store) map[string]string {
		rows, err := st.Conn().Query(ctx, "SELECT name, engine FROM system.tables WHERE database = ?", db)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[string]string{}
		for rows.Next() {
			var name, engine string
			if err := rows.Scan(&name, &engine); err != nil {
				t.Fatal(err)
			}
			out[name] = engine
		}
		return out
	}
	on1, on2 := tables(first), tables(second)
	if fmt.Sprint(on1) != fmt.Sprint(on2) {
		t.Fatalf("tables differ between nodes:\n%v\n%v", on1, on2)
	}
	for table, engine := range map[string]string{"events": "ReplicatedReplacingMergeTree", "events_all": "Distributed",
		"identity_state": "ReplicatedAggregatingMergeTree", "schema_migrations": "ReplicatedReplacingMergeTree", "nhi_inventory": "View"} {
		if on2[table] != engine {
			t.Errorf("%s on %s: engine %q, want %s", table, c.Nodes[1], on2[table], engine)
		}
	}

	// Three hosts with two identities each, every event sent twice (an
	// agent's retry): the second node must see each once.
	var events []*event.Event
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	for h := 0; h < 3; h++ {
		host := fmt.Sprintf("web-%02d", h)
		for i := 0; i < 2; i++ {
			e := storetest.Observed(host, fmt.Sprintf("AKIACLUSTER%09d", h*10+i), fmt.Sprintf("%064x", h*10+i), at)
			events = append(events, e, e)
		}
	}
	if err := eventdb.New(first).InsertEvents(ctx, events); err != nil {
		t.Fatalf("insert through %s: %v", c.Nodes[0], err)
	}
	count := func(st *store.Store, q string) uint64 {
		var n uint64
		if err := st.Conn().QueryRow(ctx, q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	err = devservices.WaitFor(ctx, 60*time.Second, func() (bool, error) {
		return count(second, "SELECT count() FROM "+db+".events FINAL") == 6 &&
			count(second, "SELECT count() FROM "+db+".nhi_inventory") == 6, nil
	})
	if err != nil {
		t.Fatalf("on %s: %d events, %d identities; want 6 and 6", c.Nodes[1],
			count(second, "SELECT count() FROM "+db+".events FINAL"), count(second, "SELECT count() FROM "+db+".nhi_inventory"))
	}
	if n := count(second, "SELECT uniqExact(host) FROM "+db+".nhi_inventory ARRAY JOIN hosts AS host"); n != 3 {
		t.Errorf("inventory on %s names %d hosts, want 3", c.Nodes[1], n)
	}

	// Compacting through the second node leaves each maintained table one
	// part there (background merges may have done some already) and
	// changes no answer.
	if done, err := second.Compact(ctx, time.Now()); err != nil {
		t.Fatalf("compact through %s: %d tables, %v", c.Nodes[1], len(done.Compacted), err)
	}
	unmerged := func() uint64 {
		return count(second, "SELECT count() FROM (SELECT table FROM system.parts WHERE database = '"+db+"' AND active"+
			" AND table IN (SELECT name FROM system.tables WHERE database = '"+db+"' AND name != 'events'"+
			" AND match(engine, '^Replicated(Aggregating|Replacing)MergeTree$')) GROUP BY table HAVING count() > 1)")
	}
	if err := devservices.WaitFor(ctx, 30*time.Second, func() (bool, error) { return unmerged() == 0, nil }); err != nil {
		t.Fatalf("after compacting through %s: %d maintained tables still in several parts", c.Nodes[1], unmerged())
	}
	if n := count(first, "SELECT count() FROM "+db+".nhi_inventory"); n != 6 {
		t.Errorf("inventory on %s after compacting: %d identities, want 6", c.Nodes[0], n)
	}

	// A collector started against the second node finds the schema done.
	if err := devservices.WaitFor(ctx, 30*time.Second, func() (bool, error) {
		return count(second, "SELECT count() FROM "+db+".schema_migrations") == uint64(len(applied)), nil
	}); err != nil {
		t.Fatalf("schema_migrations not replicated to %s", c.Nodes[1])
	}
	if again, err := second.Migrate(ctx); err != nil || len(again) != 0 {
		t.Fatalf("migrate through %s applied %v again (%v)", c.Nodes[1], again, err)
	}
}

// TestCompactEveryShard: on a cluster of two shards, compacting through
// one node compacts and prunes both shards' tables (the other reached at
// the address system.clusters gives); with the other shard's node down,
// the connected node's shard is still compacted and the error names the
// shard left for the next compaction.
func TestCompactEveryShard(t *testing.T) {
	c := devservices.ClickHouseShards(t)
	ctx := context.Background()
	db := devservices.UniqueName("nhi_shards")
	var nodes []*store.Store
	for _, addr := range c.Nodes {
		st, err := store.Open(ctx, store.Config{Addr: []string{addr}, Database: db, Cluster: c.Name})
		if err != nil {
			t.Fatalf("open %s: %v", addr, err)
		}
		t.Cleanup(func() { st.Close() })
		nodes = append(nodes, st)
	}
	if _, err := nodes[0].Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	var evs []*event.Event
	const hosts = 12
	for h := 0; h < hosts; h++ {
		host := fmt.Sprintf("shard-web-%02d", h)
		for _, days := range []int{20, 0} {
			started := now.Add(-time.Duration(days)*24*time.Hour - time.Hour)
			o := storetest.Observed(host, fmt.Sprintf("AKIASHARD%02d%09d", days, h), "", started)
			s := &event.Event{Type: event.TypeScanCompleted, Plugin: "credfiles", ScanID: event.NewID(),
				Scan: &event.Scan{Full: true, StartedAt: started, FinishedAt: started.Add(time.Minute), Seen: []string{o.NHIID},
					Part: 1, Parts: 1, Unreadable: []string{fmt.Sprintf("/srv/%d", days)}}}
			s.Complete("agent-"+host, host, started.Add(time.Minute))
			evs = append(evs, o, s)
		}
		// Each host in two inserts: every maintained table in several parts.
		if err := eventdb.New(nodes[0]).InsertEvents(ctx, evs); err != nil {
			t.Fatal(err)
		}
		evs = evs[:0]
	}
	count := func(st *store.Store, q string) uint64 {
		var n uint64
		if err := st.Conn().QueryRow(ctx, q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	scans := func(i int) uint64 {
		return count(nodes[i], "SELECT count() FROM (SELECT scan_id FROM "+db+".scan_state GROUP BY scan_id)")
	}
	if err := devservices.WaitFor(ctx, 60*time.Second, func() (bool, error) { return scans(0)+scans(1) == 2*hosts, nil }); err != nil {
		t.Fatalf("scans on the shards: %d and %d, want %d in all", scans(0), scans(1), 2*hosts)
	}
	if scans(0) == 0 || scans(1) == 0 {
		t.Fatalf("scans on the shards: %d and %d, want some on each", scans(0), scans(1))
	}
	done, err := nodes[0].Compact(ctx, now)
	if err != nil || done.Shards != 2 || done.ScansPruned != hosts || done.UnreadablePruned != hosts {
		t.Fatalf("compact through %s: %d shards, %d scans and %d scans' unreadable paths pruned (%v); want 2, %d, %d",
			c.Nodes[0], done.Shards, done.ScansPruned, done.UnreadablePruned, err, hosts, hosts)
	}
	for i, st := range nodes {
		// Each shard keeps only its latest scans and their unreadable paths.
		old := func() uint64 {
			return count(st, "SELECT count() FROM (SELECT scan_id, maxMerge(started_at) AS started FROM "+db+".scan_state GROUP BY scan_id) WHERE started < now() - 86400") +
				count(st, "SELECT count() FROM "+db+".scan_unreadable_state WHERE has(finalizeAggregation(unreadable), '/srv/20')")
		}
		unmerged := func() uint64 {
			return count(st, "SELECT count() FROM (SELECT table FROM system.parts WHERE database = '"+db+"' AND active"+
				" AND table IN (SELECT name FROM system.tables WHERE database = '"+db+"' AND name != 'events'"+
				" AND match(engine, '^Replicated(Aggregating|Replacing)MergeTree$')) GROUP BY table HAVING count() > 1)")
		}
		if err := devservices.WaitFor(ctx, 30*time.Second, func() (bool, error) { return unmerged() == 0 && old() == 0, nil }); err != nil {
			t.Errorf("shard at %s after compacting through %s: %d tables in several parts, %d old scans and their unreadable paths",
				c.Nodes[i], c.Nodes[0], unmerged(), old())
		}
	}
	if n := count(nodes[0], "SELECT count() FROM "+db+".nhi_inventory WHERE still_present = 1"); n != hosts {
		t.Errorf("inventory after compacting: %d identities still present, want the %d of the latest scans", n, hosts)
	}

	c.Stop(t, 1)
	done, err = nodes[0].Compact(ctx, now)
	if err == nil || !strings.Contains(err.Error(), c.Nodes[1]) || done.Shards != 1 {
		t.Fatalf("compact with %s down: %d shards (%v); want its own shard and an error naming %s", c.Nodes[1], done.Shards, err, c.Nodes[1])
	}
}
