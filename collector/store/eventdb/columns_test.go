package eventdb

import (
	"reflect"
	"testing"
	"time"

	"github.com/nhiradar/nhiradar/collector/store/storetest"
	"github.com/nhiradar/nhiradar/collector/synth"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// TestColumnsMatchEventRow: the column path InsertEvents uses and the row
// EventRow gives (the benchmark's reference rows) hold the same values.
func TestColumnsMatchEventRow(t *testing.T) {
	f := synth.NewFleet(5, 10, 100)
	var events []*event.Event
	for i := 0; i < 300; i++ {
		events = append(events, f.Next())
	}
	events = append(events, storetest.FullHeartbeat(storetest.T0))
	rows := make([]row, len(events))
	for i, e := range events {
		rows[i] = newRow(e)
	}
	for _, c := range eventColumns {
		v := reflect.ValueOf(c.appendTo(rows))
		if v.Len() != len(events) {
			t.Fatalf("column %s has %d values for %d events", c.name, v.Len(), len(events))
		}
		for i, e := range events {
			if got, want := v.Index(i).Interface(), EventRow(e)[columnIndex(t, c.name)]; !reflect.DeepEqual(got, want) {
				t.Fatalf("event %d column %s: columns %#v, EventRow %#v", i, c.name, got, want)
			}
		}
	}
}

// TestHeartbeatColumns: every field of a heartbeat, nested ones included,
// lands in its own typed column.
func TestHeartbeatColumns(t *testing.T) {
	r := EventRow(storetest.FullHeartbeat(storetest.T0))
	get := func(name string) any { return r[columnIndex(t, name)] }
	want := map[string]any{
		"hb_version": "1.4.0", "hb_os": "linux", "hb_boot_time": storetest.T0.Add(-time.Hour), "hb_ips": []string{"10.0.0.1"},
		"hb_spool_depth": int64(12), "hb_dropped": int64(2), "hb_cpu_percent": 1.5, "hb_rss_bytes": int64(30 << 20),
		"hb_budget_cpu_percent": 4.9, "hb_budget_throttled": uint8(1), "hb_budget_pauses": int64(3), "hb_budget_reason": "cpu",
		"hb_plugin_name": []string{"credfiles", "authlog"}, "hb_plugin_state": []string{"running", "held"},
		"hb_plugin_last_scan": []time.Time{storetest.T0, time.Unix(0, 0).UTC()}, "hb_plugin_rss_bytes": []int64{1 << 20, 0},
		"hb_plugin_restarts": []int64{0, 4}, "hb_plugin_limit_reached": []string{"", "cpu"},
	}
	for name, w := range want {
		if got := get(name); !reflect.DeepEqual(got, w) {
			t.Errorf("%s = %#v, want %#v", name, got, w)
		}
	}
	// An event without a heartbeat gets zero values, never a nil array.
	obs := EventRow(storetest.Observed("h1", "AKIAAAAAAAAAAAAAAAAA", "", storetest.T0))
	if got := obs[columnIndex(t, "hb_plugin_name")]; got == nil || len(got.([]string)) != 0 {
		t.Errorf("hb_plugin_name of an observation = %#v, want empty", got)
	}
}

func columnIndex(t *testing.T, name string) int {
	t.Helper()
	for i, c := range EventColumns() {
		if c == name {
			return i
		}
	}
	t.Fatalf("no column %s", name)
	return -1
}
