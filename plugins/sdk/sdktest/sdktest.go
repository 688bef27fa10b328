// Package sdktest runs a discovery plugin against a directory tree standing
// for a host's "/", the way the agent would: in process, behind go-plugin's
// gRPC shim without a subprocess, or as a real plugin executable. It
// captures the events, the error and everything logged, so that a test can
// check what was found and that no secret leaked.
package sdktest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nhiradar/nhiradar/plugins/sdk"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
	"github.com/nhiradar/nhiradar/plugins/sdk/secret"
)

// Key is the organisation key every harness run fingerprints under.
var Key = []byte("sdktest-fingerprint-key-00000001")

// Now is the scan clock of every harness run.
var Now = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// Fingerprint returns the fingerprint the harness's key gives a secret, so
// a test can look for (or rule out) a given secret without it being emitted.
func Fingerprint(s string) string {
	f, err := secret.NewFingerprinter(Key)
	if err != nil {
		panic(err)
	}
	return f.Of(s)
}

// Result is what one scan produced.
type Result struct {
	// Plugin is the name the plugin gave in Info.
	Plugin string
	Events []*event.Event
	Err    error
	// Log is everything the plugin logged during the scan: through the
	// scan request's logger in process, its stderr for an executable.
	Log string
}

// Request returns the scan request the harness sends for root and options.
func Request(root string, opts map[string]string) sdk.ScanRequest {
	return sdk.ScanRequest{Root: root, Full: true, FingerprintKey: Key, Now: Now, Options: opts}
}

// Run scans root with p in process, capturing what it logs through the
// scan request's logger.
func Run(t testing.TB, p sdk.Plugin, root string, opts map[string]string) Result {
	t.Helper()
	var buf lockedBuffer
	res := scan(p, root, opts, textLogger(&buf))
	res.Log = buf.String()
	return res
}

func textLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func scan(p sdk.Plugin, root string, opts map[string]string, log *slog.Logger) Result {
	res := Result{Plugin: p.Info().Name}
	req := Request(root, opts)
	req.Log = log
	res.Err = p.Scan(context.Background(), req, func(e *event.Event) error {
		res.Events = append(res.Events, e)
		return nil
	})
	return res
}

// lockedBuffer is a log destination the plugin's goroutines may share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Valid completes every event's envelope as the agent does (plugin name,
// ids, host, time) and checks it against the wire schema, failing the test
// for each invalid one.
func (r Result) Valid(t testing.TB) {
	t.Helper()
	for _, e := range r.Events {
		if e.Type == event.TypeScanWarning {
			if e.Location == "" || e.Attrs["reason"] == "" || len(e.Attrs) != 1 {
				t.Errorf("a scan warning names a path and a reason, and nothing else: %+v", e)
			}
			continue
		}
		c := *e
		c.Plugin = r.Plugin
		c.Complete("sdktest-agent", "sdktest-host", Now)
		if err := c.Validate(); err != nil {
			t.Errorf("invalid event at %s: %v", e.Location, err)
		}
	}
}

// Warnings maps each path the plugin warned it could not read in full to
// the reason it gave.
func (r Result) Warnings() map[string]string {
	out := map[string]string{}
	for _, e := range r.Events {
		if e.Type == event.TypeScanWarning {
			out[e.Location] = e.Attrs["reason"]
		}
	}
	return out
}

// NoLeak fails the test if any of secrets appears in an event, the error or
// the log.
func (r Result) NoLeak(t testing.TB, secrets ...string) {
	t.Helper()
	var all strings.Builder
	for _, e := range r.Events {
		b, _ := json.Marshal(e)
		all.Write(b)
	}
	if r.Err != nil {
		all.WriteString(r.Err.Error())
	}
	all.WriteString(r.Log)
	s := all.String()
	for _, sec := range secrets {
		if sec != "" && strings.Contains(s, sec) {
			t.Errorf("a planted secret leaked (first 4 bytes %q)", sec[:min(4, len(sec))])
		}
	}
}

// Find returns the events of a kind at a location.
func (r Result) Find(kind event.Kind, location string) []*event.Event {
	var out []*event.Event
	for _, e := range r.Events {
		if e.Kind == kind && e.Location == location {
			out = append(out, e)
		}
	}
	return out
}
