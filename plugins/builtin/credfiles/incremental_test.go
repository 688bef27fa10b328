package credfiles

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nhiradar/nhiradar/plugins/sdk"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// TestIncrementalScanSkipsUnchangedFiles: after a full scan with a state
// directory, an incremental scan does not read a file whose size, mtime and
// inode are unchanged (a secret swapped in place, mtime restored, is not
// seen) and reports what it gave before, field for field; a full scan reads
// it; a file with a new mtime is read by an incremental scan too. The cache
// holds no secret.
func TestIncrementalScanSkipsUnchangedFiles(t *testing.T) {
	root, state := t.TempDir(), t.TempDir()
	dir := filepath.Join(root, "srv/app")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, ".env")
	oldSecret, newSecret := "Zq8kLm3Vx7Rt2Yw9Pn4Bs6Dc1Fg5Hj0KaQwE1x2e", "Wp3nB8vK2xL9mQ4rT7yU1iO6aS5dF0gH8jZ3cV4b"
	mtime := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	plant := func(secret string, when time.Time) {
		t.Helper()
		if err := os.WriteFile(file, []byte("STRIPE_API_KEY="+secret+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(file, when, when); err != nil {
			t.Fatal(err)
		}
	}
	scan := func(full bool) []*event.Event {
		t.Helper()
		var got []*event.Event
		err := Plugin{}.Scan(context.Background(), sdk.ScanRequest{Root: root, Full: full, FingerprintKey: testKey, StateDir: state,
			Options: map[string]string{"paths": "/srv"}}, func(e *event.Event) error {
			got = append(got, e)
			e.EventID = "stamped-by-the-agent" // what the agent's runner does to each event
			return nil
		})
		if err != nil || len(got) != 1 {
			t.Fatalf("full=%v: %d events, %v", full, len(got), err)
		}
		return got
	}
	if len(oldSecret) != len(newSecret) {
		t.Fatal("the secrets must be of one length, so that the file keeps its size")
	}
	plant(oldSecret, mtime)
	first := scan(true)[0]
	plant(newSecret, mtime)
	again := scan(false)[0]
	if again.Fingerprint != first.Fingerprint {
		t.Fatal("the incremental scan read a file whose size, mtime and inode are unchanged")
	}
	if again.EventID != "stamped-by-the-agent" {
		t.Fatalf("reused event carries envelope fields of the earlier scan: %+v", again)
	}
	again.EventID, first.EventID = "", ""
	a, _ := json.Marshal(again)
	b, _ := json.Marshal(first)
	if string(a) != string(b) {
		t.Fatalf("reused event differs:\n%s\n%s", a, b)
	}
	if full := scan(true)[0]; full.Fingerprint == first.Fingerprint {
		t.Fatal("the full scan did not read the file")
	}
	plant(oldSecret, mtime.Add(time.Hour))
	if got := scan(false)[0]; got.Fingerprint != first.Fingerprint {
		t.Fatal("the incremental scan trusted the cache for a file with a new mtime")
	}
	cached, err := os.ReadFile(filepath.Join(state, cacheFile))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(cached), oldSecret) || strings.Contains(string(cached), newSecret) || !strings.Contains(string(cached), "/srv/app/.env") {
		t.Fatalf("the cache must name files and hold no secret: %s", cached)
	}
	// Other options, other findings: the cache is not trusted.
	var n int
	err = Plugin{}.Scan(context.Background(), sdk.ScanRequest{Root: root, FingerprintKey: testKey, StateDir: state,
		Options: map[string]string{"paths": "/nowhere"}}, func(*event.Event) error { n++; return nil })
	if err != nil || n != 0 {
		t.Fatalf("scan of other paths reported %d events from the cache (%v)", n, err)
	}
}
