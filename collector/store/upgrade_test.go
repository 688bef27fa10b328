package store_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nhiradar/nhiradar/collector/store"
	"github.com/nhiradar/nhiradar/collector/store/eventdb"
	"github.com/nhiradar/nhiradar/collector/store/inventory"
	"github.com/nhiradar/nhiradar/collector/store/storetest"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

var t0 = storetest.T0

// TestHeartbeatJSONBeforeUpgrade: heartbeats an older collector stored as
// JSON read through the typed columns after migration 0015, the nested
// budget included, and the agents view takes a newer collector's typed
// heartbeat after them.
func TestHeartbeatJSONBeforeUpgrade(t *testing.T) {
	st := storetest.Unmigrated(t)
	ctx := context.Background()
	if _, err := st.ApplyBefore(ctx, 15); err != nil {
		t.Fatal(err)
	}
	insertAsBefore(t, st, nil, storetest.FullHeartbeat(t0))
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	var version, reason string
	var depth, rss, pauses int64
	var cpu, budgetCPU float64
	var throttled uint8
	err := st.Conn().QueryRow(ctx, "SELECT hb_version, hb_spool_depth, hb_rss_bytes, hb_cpu_percent, hb_budget_cpu_percent, hb_budget_pauses, hb_budget_throttled, hb_budget_reason FROM events WHERE type = 'agent_heartbeat'").Scan(&version, &depth, &rss, &cpu, &budgetCPU, &pauses, &throttled, &reason)
	if err != nil {
		t.Fatal(err)
	}
	if version != "1.4.0" || depth != 12 || rss != 30<<20 || cpu != 1.5 || budgetCPU != 4.9 || pauses != 3 || throttled != 1 || reason != "cpu" {
		t.Errorf("old heartbeat reads version %q depth %d rss %d cpu %v, budget cpu %v pauses %d throttled %d reason %q",
			version, depth, rss, cpu, budgetCPU, pauses, throttled, reason)
	}
	newer := storetest.FullHeartbeat(t0.Add(time.Minute))
	newer.Heartbeat.SpoolDepth, newer.Heartbeat.Version = 5, "1.5.0"
	if err := eventdb.New(st).InsertEvents(ctx, []*event.Event{newer}); err != nil {
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

// TestUpgradeBackfills: a database created before the aggregate states
// existed (migrations 1 and 2, events already stored) is upgraded by Migrate,
// and the inventory and agents include the events stored before.
func TestUpgradeBackfills(t *testing.T) {
	st := storetest.Unmigrated(t)
	ctx := context.Background()
	ms, err := st.ApplyBefore(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	old := storetest.Observed("h1", "AKIAOLDOLDOLDOLDOLD1", "", t0)
	account := &event.Event{Type: event.TypeNHIObserved, Plugin: "accounts", ScanID: event.NewID(), Kind: event.KindOSServiceAccount,
		Principal: "backup", Location: "/etc/passwd", Account: "backup", Attrs: map[string]string{"uid": "0"}, Time: t0}
	account.Complete("agent-h1", "h1", t0)
	unit := &event.Event{Type: event.TypeNHIObserved, Plugin: "credfiles", ScanID: event.NewID(), Kind: event.KindGenericSecret,
		Fingerprint: strings.Repeat("b2", 32), Location: "/etc/systemd/system/app.service", Attrs: map[string]string{"source": "exec_start"}, Time: t0}
	unit.Complete("agent-h1", "h1", t0)
	insertAsBefore(t, st, []string{"scan_unreadable", "scan_coverage_source", "scan_coverage_evidence", "scan_coverage_from", "scan_coverage_to"},
		old, account, unit, storetest.Heartbeat("agent-7", t0, 4))
	applied, err := st.Migrate(ctx)
	if err != nil || len(applied) != len(ms)-2 {
		t.Fatalf("upgrade applied %v (%v), want the %d newer migrations", applied, err, len(ms)-2)
	}
	inv, err := inventory.New(st).Rows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(inv) != 3 {
		t.Fatalf("inventory after upgrade = %+v, want the three identities stored before it", inv)
	}
	for _, row := range inv {
		if !row.StillPresent {
			t.Fatalf("inventory after upgrade = %+v, want the identities stored before it, present", inv)
		}
	}
	// The service account's attrs, which overprivileged decides on, were
	// backfilled into the accounts' own table (migration 0019).
	var uid string
	if err := st.Conn().QueryRow(ctx, "SELECT attr_values[indexOf(attr_keys, 'uid')] FROM (SELECT argMaxMerge(attr_keys) AS attr_keys, "+
		"argMaxMerge(attr_values) AS attr_values FROM account_attr_state)").Scan(&uid); err != nil || uid != "0" {
		t.Fatalf("account_attr_state after upgrade: uid %q (%v), want the account's 0", uid, err)
	}
	// And the unit's, which secret_in_command_line decides on (0020).
	var source string
	if err := st.Conn().QueryRow(ctx, "SELECT attr_values[indexOf(attr_keys, 'source')] FROM (SELECT argMaxMerge(keys) AS attr_keys, "+
		"argMaxMerge(values) AS attr_values FROM sourced_attr_state)").Scan(&source); err != nil || source != "exec_start" {
		t.Fatalf("sourced_attr_state after upgrade: source %q (%v), want the unit's exec_start", source, err)
	}
	var agents uint64
	if err := st.Conn().QueryRow(ctx, "SELECT count() FROM agents").Scan(&agents); err != nil || agents != 1 {
		t.Fatalf("agents after upgrade = %d (%v), want 1", agents, err)
	}
}

// insertAsBefore stores events as a collector from before the added
// columns existed did: every column of today but those and the typed
// heartbeat columns, and the heartbeat as the JSON string it wrote then.
func insertAsBefore(t *testing.T, st *store.Store, added []string, events ...*event.Event) {
	t.Helper()
	var keep []int
	cols := []string{"heartbeat"}
	for i, c := range eventdb.EventColumns() {
		if !slices.Contains(added, c) && !strings.HasPrefix(c, "hb_") {
			keep, cols = append(keep, i), append(cols, c)
		}
	}
	b, err := st.Conn().PrepareBatch(context.Background(), "INSERT INTO events ("+strings.Join(cols, ", ")+")")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		var hb []byte
		if e.Heartbeat != nil {
			if hb, err = json.Marshal(e.Heartbeat); err != nil {
				t.Fatal(err)
			}
		}
		row := eventdb.EventRow(e)
		vals := []any{string(hb)}
		for _, i := range keep {
			vals = append(vals, row[i])
		}
		if err := b.Append(vals...); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Send(); err != nil {
		t.Fatal(err)
	}
}
