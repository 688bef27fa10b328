package credfiles

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nhiradar/nhiradar/plugins/sdk"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// TestIgnoreAndBaselineOptions: a fingerprint in the ignore file is never
// reported; a baseline of an earlier scan's events leaves only what is new.
func TestIgnoreAndBaselineOptions(t *testing.T) {
	all := scan(t, "testdata/host")
	if len(all) < 3 {
		t.Fatalf("need at least 3 findings, got %d", len(all))
	}
	dir := t.TempDir()
	ignore := filepath.Join(dir, "ignore.txt")
	if err := os.WriteFile(ignore, []byte("# rotated, accepted\n"+all[0].Fingerprint+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(dir, "baseline.jsonl")
	if err := os.WriteFile(base, []byte(`{"fingerprint":"`+all[len(all)-1].Fingerprint+`"}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var got []*event.Event
	err := Plugin{}.Scan(context.Background(), sdk.ScanRequest{Root: "testdata/host", FingerprintKey: testKey,
		Options: map[string]string{"ignore": ignore, "baseline": base}}, func(e *event.Event) error { got = append(got, e); return nil })
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range got {
		if e.Fingerprint == all[0].Fingerprint || e.Fingerprint == all[len(all)-1].Fingerprint {
			t.Errorf("filtered fingerprint reported at %s", e.Location)
		}
	}
	if len(got) == 0 || len(got) >= len(all) {
		t.Fatalf("%d of %d findings left", len(got), len(all))
	}
	err = Plugin{}.Scan(context.Background(), sdk.ScanRequest{Root: "testdata/host", FingerprintKey: testKey,
		Options: map[string]string{"colour": "blue"}}, func(*event.Event) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "colour") {
		t.Fatalf("unknown option accepted: %v", err)
	}
}
