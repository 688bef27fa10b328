package plantedhost

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/nhiradar/nhiradar/plugins/sdk"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// Key is the organisation key the planted-host tests fingerprint under.
var Key = []byte("planted-host-organisation-key-01")

// Scan runs one plugin over a fresh copy of the planted host and returns
// its events. A scan error fails the test.
func Scan(t testing.TB, p sdk.Plugin) []*event.Event {
	t.Helper()
	var out []*event.Event
	req := sdk.ScanRequest{Root: Copy(t), Full: true, FingerprintKey: Key, Now: Now, StateDir: t.TempDir()}
	err := p.Scan(context.Background(), req, func(e *event.Event) error {
		out = append(out, e)
		return nil
	})
	if err != nil {
		t.Fatalf("%s: %v", p.Info().Name, err)
	}
	return out
}

// Golden compares events with the golden file (one JSON object a line),
// rewriting it when update is set. The file owner is left out: it is
// whoever runs the test.
func Golden(t testing.TB, events []*event.Event, golden string, update bool) {
	t.Helper()
	var buf bytes.Buffer
	for _, e := range events {
		c := *e
		c.FileOwner = ""
		b, err := json.Marshal(&c)
		if err != nil {
			t.Fatal(err)
		}
		buf.Write(append(b, '\n'))
	}
	CompareFile(t, buf.Bytes(), golden, update)
}

// CompareFile compares got with the golden file, rewriting the file first
// when update is set (the -update flag of the calling test).
func CompareFile(t testing.TB, got []byte, golden string, update bool) {
	t.Helper()
	if update {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("output differs from %s (run go test -update and review the diff):\n%s", golden, got)
	}
}
