package scan

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/nhiradar/nhiradar/plugins/sdk"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

type recordingPlugin struct {
	name   string
	emit   []*event.Event
	err    error
	live   bool
	gotReq sdk.ScanRequest
}

func (p *recordingPlugin) Info() sdk.Info { return sdk.Info{Name: p.name, LiveOnly: p.live} }

func (p *recordingPlugin) Scan(_ context.Context, req sdk.ScanRequest, emit sdk.Emit) error {
	p.gotReq = req
	for _, e := range p.emit {
		if err := emit(e); err != nil {
			return err
		}
	}
	return p.err
}

func account(name string) *event.Event {
	return &event.Event{Type: event.TypeNHIObserved, Kind: event.KindOSServiceAccount, Principal: name, Location: "/etc/passwd"}
}

func runner(plugins ...sdk.Plugin) *Runner {
	return &Runner{Plugins: plugins, AgentID: "agent-1", Host: "web-01", Root: "/mnt/img",
		FingerprintKey: []byte("0123456789abcdef"), Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

func TestRunCompletesEnvelopeAndClosesScan(t *testing.T) {
	bad := account("x")
	bad.Kind = "not_a_kind"
	p := &recordingPlugin{name: "accounts", emit: []*event.Event{account("backup"), bad, account("deploy")}}
	var got []*event.Event
	res := runner(p).Run(context.Background(), func(_ context.Context, e *event.Event) error {
		got = append(got, e)
		return nil
	})
	if len(res) != 1 || res[0].Events != 2 || res[0].Invalid != 1 || res[0].Err != nil {
		t.Fatalf("result = %+v", res)
	}
	if len(got) != 3 || got[2].Type != event.TypeScanCompleted {
		t.Fatalf("want 2 observations and a scan_completed, got %d events", len(got))
	}
	for _, e := range got {
		if err := e.Validate(); err != nil || e.Host != "web-01" || e.ScanID != got[0].ScanID {
			t.Fatalf("event %+v: %v", e, err)
		}
	}
	seen := got[2].Scan.Seen
	if len(seen) != 2 || !contains(seen, got[0].NHIID) || !contains(seen, got[1].NHIID) {
		t.Fatalf("scan_completed lists %v", seen)
	}
	if p.gotReq.Root != "/mnt/img" || !p.gotReq.Full {
		t.Fatalf("plugin got request %+v", p.gotReq)
	}
}

func TestLiveOnlyPluginSkippedUnderRoot(t *testing.T) {
	p := &recordingPlugin{name: "processes", live: true, emit: []*event.Event{account("x")}}
	if res := runner(p).Run(context.Background(), func(context.Context, *event.Event) error { return nil }); len(res) != 0 {
		t.Fatalf("live-only plugin ran under --root: %+v", res)
	}
}

// lateLivePlugin is like a plugin process: it says it is live-only only
// once it has run.
type lateLivePlugin struct{ ran bool }

func (p *lateLivePlugin) Info() sdk.Info { return sdk.Info{Name: "processes", LiveOnly: p.ran} }

func (p *lateLivePlugin) Scan(context.Context, sdk.ScanRequest, sdk.Emit) error {
	p.ran = true
	return nil
}

func TestLateLiveOnlyPluginDoesNotCloseScanUnderRoot(t *testing.T) {
	var got []*event.Event
	res := runner(&lateLivePlugin{}).Run(context.Background(), func(_ context.Context, e *event.Event) error {
		got = append(got, e)
		return nil
	})
	if len(res) != 1 || len(got) != 0 {
		t.Fatalf("live-only plugin under --root: results %+v, events %d (want no scan_completed)", res, len(got))
	}
	live := runner(&lateLivePlugin{})
	live.Root = ""
	got = nil
	live.Run(context.Background(), func(_ context.Context, e *event.Event) error { got = append(got, e); return nil })
	if len(got) != 1 || got[0].Type != event.TypeScanCompleted {
		t.Fatalf("live scan: %d events, want its scan_completed", len(got))
	}
}

func TestFailingPluginDoesNotStopOthers(t *testing.T) {
	a := &recordingPlugin{name: "a", err: errors.New("boom")}
	b := &recordingPlugin{name: "b", emit: []*event.Event{account("svc")}}
	var types []string
	res := runner(a, b).Run(context.Background(), func(_ context.Context, e *event.Event) error {
		types = append(types, e.Plugin+":"+string(e.Type))
		return nil
	})
	if len(res) != 2 || res[0].Err == nil || res[1].Err != nil {
		t.Fatalf("results = %+v", res)
	}
	// The failed scan still closes, with its error counted.
	if strings.Join(types, ",") != "a:scan_completed,b:nhi_observed,b:scan_completed" {
		t.Fatalf("events = %v", types)
	}
}

func TestCompletedSplitsLargeScans(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < event.MaxSeenPerEvent+5; i++ {
		seen[event.NewID()] = true
	}
	now := time.Now()
	parts := Completed("content", event.NewID(), now, now, seen, 0, nil, nil)
	if len(parts) != 2 || len(parts[0].Scan.Seen) != event.MaxSeenPerEvent || len(parts[1].Scan.Seen) != 5 || parts[1].Scan.Part != 2 || parts[1].Scan.Parts != 2 {
		t.Fatalf("got %d parts", len(parts))
	}
	if empty := Completed("content", event.NewID(), now, now, nil, 0, nil, nil); len(empty) != 1 || len(empty[0].Scan.Seen) != 0 {
		t.Fatal("an empty scan must still close with one event")
	}
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
