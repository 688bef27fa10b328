package scan

import (
	"context"
	"errors"
	"testing"

	"github.com/nhiradar/nhiradar/plugins/sdk"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

type stubPlugin struct{ err error }

func (stubPlugin) Info() sdk.Info { return sdk.Info{Name: "stub"} }

func (s stubPlugin) Scan(_ context.Context, req sdk.ScanRequest, emit sdk.Emit) error {
	if req.Options["k"] != "v" || req.StateDir != "/state" {
		return errors.New("job options not passed")
	}
	_ = emit(&event.Event{Type: event.TypeNHIObserved, Kind: event.KindOSServiceAccount, Principal: "svc", Location: "/etc/passwd"})
	return s.err
}

type abortErr struct{}

func (abortErr) Error() string { return "killed" }
func (abortErr) Aborted() bool { return true }

func TestScanOneClosesOnlyCompleteFullScans(t *testing.T) {
	cases := []struct {
		name      string
		full      bool
		err       error
		completed int
	}{
		{"full", true, nil, 1},
		{"full with reported errors", true, errors.New("one file unreadable"), 1},
		{"incremental", false, nil, 0},
		{"aborted", true, abortErr{}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := &Runner{AgentID: "a1", Host: "h1", FingerprintKey: []byte("k")}
			var types []event.Type
			res := r.ScanOne(context.Background(), stubPlugin{err: tc.err}, Job{Full: tc.full, Options: map[string]string{"k": "v"}, StateDir: "/state"},
				func(_ context.Context, e *event.Event) error { types = append(types, e.Type); return nil })
			n := 0
			for _, ty := range types {
				if ty == event.TypeScanCompleted {
					n++
				}
			}
			if n != tc.completed || res.Events != 1 || !errors.Is(res.Err, tc.err) {
				t.Fatalf("types %v, result %+v", types, res)
			}
		})
	}
}
