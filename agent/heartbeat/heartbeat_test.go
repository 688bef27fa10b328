package heartbeat

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/nhiradar/nhiradar/internal/spool"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

func TestHeartbeatReportsHostSpoolPluginsAndSelf(t *testing.T) {
	last := time.Now().Add(-time.Minute)
	s := &Source{
		Version: "1.2.3",
		Spool:   func() spool.Stats { return spool.Stats{Depth: 7, Bytes: 700, Dropped: 3, Resets: 1} },
		Plugins: func() []event.PluginStatus {
			return []event.PluginStatus{{Name: "credfiles", State: "running", LastScan: &last, Restarts: 2, LimitReached: "memory_limit"}}
		},
		Budget: func() event.Budget { return event.Budget{CPUPercent: 4.5, Throttled: true, Pauses: 12, Reason: "cpu"} },
	}
	e, err := s.Build(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	e.Complete("0123456789abcdef0123456789abcdef", "web-01", time.Now())
	if err := e.Validate(); err != nil {
		t.Fatalf("heartbeat does not validate: %v", err)
	}
	h := e.Heartbeat
	if h.Version != "1.2.3" || h.OS != runtime.GOOS || h.Kernel == "" || h.BootTime == nil || h.RSSBytes <= 0 {
		t.Fatalf("host and self facts missing: %+v", h)
	}
	if h.SpoolDepth != 7 || h.SpoolBytes != 700 || h.Dropped != 3 || h.SpoolResets != 1 {
		t.Fatalf("spool stats: %+v", h)
	}
	if len(h.Plugins) != 1 || h.Plugins[0].Restarts != 2 || h.Plugins[0].LimitReached != "memory_limit" {
		t.Fatalf("plugins: %+v", h.Plugins)
	}
	if b := h.Budget; b == nil || !b.Throttled || b.Pauses != 12 || b.Reason != "cpu" || b.CPUPercent != 4.5 {
		t.Fatalf("budget: %+v", b)
	}
	// It survives the wire.
	raw, err := event.Encode(e)
	if err != nil {
		t.Fatal(err)
	}
	back, err := event.Decode(raw)
	if err != nil || back.Heartbeat.Budget == nil || back.Heartbeat.Budget.Pauses != 12 || back.Heartbeat.SpoolResets != 1 {
		t.Fatalf("budget after encode/decode: %+v, %v", back.Heartbeat, err)
	}
}
