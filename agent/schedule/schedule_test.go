package schedule

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/nhiradar/nhiradar/agent/scan"
	"github.com/nhiradar/nhiradar/plugins/sdk"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// recorder is a plugin that records whether each scan was full.
type recorder struct {
	name string
	mu   sync.Mutex
	runs []bool
}

func (r *recorder) Info() sdk.Info { return sdk.Info{Name: r.name} }

func (r *recorder) Scan(_ context.Context, req sdk.ScanRequest, emit sdk.Emit) error {
	r.mu.Lock()
	r.runs = append(r.runs, req.Full)
	r.mu.Unlock()
	return emit(&event.Event{Type: event.TypeNHIObserved, Kind: event.KindOSServiceAccount, Principal: "svc", Location: "/etc/passwd"})
}

func (r *recorder) snapshot() []bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]bool(nil), r.runs...)
}

func TestFullAtStartIncrementalBetweenCompletedAfterFull(t *testing.T) {
	a, b := &recorder{name: "a"}, &recorder{name: "b"}
	var mu sync.Mutex
	completed := map[string]int{}
	s := &Scheduler{
		Runner: &scan.Runner{AgentID: "agent", Host: "h", FingerprintKey: []byte("k")},
		Entries: []Entry{
			{Plugin: a, Interval: 10 * time.Millisecond, FullInterval: 60 * time.Millisecond, Jitter: 0.2},
			{Plugin: b, Interval: 10 * time.Millisecond, FullInterval: time.Hour},
		},
		Sink: func(_ context.Context, e *event.Event) error {
			if e.Type == event.TypeScanCompleted {
				mu.Lock()
				completed[e.Plugin]++
				mu.Unlock()
			}
			return nil
		},
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if fulls(a.snapshot()) >= 2 && len(b.snapshot()) >= 5 {
			break
		}
	}
	cancel()
	<-done
	ra, rb := a.snapshot(), b.snapshot()
	if len(ra) == 0 || !ra[0] || fulls(ra) < 2 || fulls(ra) == len(ra) {
		t.Fatalf("plugin a runs (full?) %v: want a full first scan, incrementals and a later full", ra)
	}
	if len(rb) < 5 || !rb[0] || fulls(rb) != 1 {
		t.Fatalf("plugin b runs %v: want one full scan then incrementals", rb)
	}
	mu.Lock()
	defer mu.Unlock()
	// The last scan may be cut short by cancel and stay unclosed.
	if c := completed["a"]; c < fulls(ra)-1 || c > fulls(ra) || completed["b"] != 1 {
		t.Fatalf("scan_completed %v for full scans a=%d b=1", completed, fulls(ra))
	}
}

func fulls(runs []bool) int {
	n := 0
	for _, f := range runs {
		if f {
			n++
		}
	}
	return n
}

func TestJitteredStaysInBoundsAndVaries(t *testing.T) {
	seen := map[time.Duration]bool{}
	for i := 0; i < 200; i++ {
		d := Jittered(time.Hour, 0.1)
		if d < 54*time.Minute || d > 66*time.Minute {
			t.Fatalf("Jittered(1h, 0.1) = %s", d)
		}
		seen[d] = true
	}
	if len(seen) < 100 {
		t.Fatalf("only %d distinct waits in 200: no jitter", len(seen))
	}
	if Jittered(time.Hour, 0) != time.Hour {
		t.Fatal("zero jitter changed the interval")
	}
}
