package sdktest

import (
	"context"
	"errors"
	"testing"

	"github.com/nhiradar/nhiradar/plugins/sdk"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// leaky is a badly written plugin: it logs and returns its secret.
type leaky struct{ where string }

func (leaky) Info() sdk.Info { return sdk.Info{Name: "leaky"} }

func (l leaky) Scan(_ context.Context, req sdk.ScanRequest, emit sdk.Emit) error {
	const s = "hunter2-super-secret"
	e := &event.Event{Type: event.TypeNHIObserved, Kind: event.KindPassword, Location: req.Root + "/x", Fingerprint: Fingerprint(s)}
	switch l.where {
	case "event":
		e.Key = s
	case "log":
		req.Logger().Info("found", "value", s)
	case "error":
		_ = emit(e)
		return errors.New("parse failed near " + s)
	}
	return emit(e)
}

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Errorf(string, ...any) { r.failed = true }
func (r *recorder) Helper()               {}

func TestNoLeakCatchesEveryChannel(t *testing.T) {
	for _, where := range []string{"event", "log", "error"} {
		for name, run := range map[string]func(*testing.T, sdk.Plugin, string, map[string]string) Result{
			"in-process": func(t *testing.T, p sdk.Plugin, root string, o map[string]string) Result { return Run(t, p, root, o) },
			"grpc": func(t *testing.T, p sdk.Plugin, root string, o map[string]string) Result {
				return RunGRPC(t, p, root, o)
			},
		} {
			res := run(t, leaky{where}, "/mnt/host", nil)
			rec := &recorder{TB: t}
			res.NoLeak(rec, "hunter2-super-secret")
			if !rec.failed {
				t.Errorf("%s: a secret in the %s was not caught", name, where)
			}
			if len(res.Find(event.KindPassword, "/mnt/host/x")) != 1 {
				t.Errorf("%s/%s: events %+v", name, where, res.Events)
			}
		}
	}
	clean := Run(t, leaky{"nowhere"}, "/", nil)
	rec := &recorder{TB: t}
	clean.NoLeak(rec, "hunter2-super-secret")
	if rec.failed {
		t.Error("a clean run reported a leak")
	}
	clean.Valid(t)
}
