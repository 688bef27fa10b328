package content

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nhiradar/nhiradar/plugins/sdk"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// TestIncrementalScanSkipsUnchangedFiles plants a token, scans fully with a
// state directory, then swaps the token for another of the same size and
// restores the file's mtime: an incremental scan trusts the cache and
// reports the old fingerprint without reading the file, a full scan reads it
// and reports the new one. The cache holds no secret.
func TestIncrementalScanSkipsUnchangedFiles(t *testing.T) {
	root, state := t.TempDir(), t.TempDir()
	dir := filepath.Join(root, "srv")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "app.conf")
	oldTok, newTok := "ghp_OhbVrpoiVgRV5IfLBcbfnoGMbJmTPSIAoCLr", "ghp_Zq8kLm3Vx7Rt2Yw9Pn4Bs6Dc1Fg5Hj0KaQwE"
	if err := os.WriteFile(file, []byte("token: "+oldTok+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	mtime := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := os.Chtimes(file, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	p := &Plugin{}
	scanFP := func(full bool) string {
		t.Helper()
		var got []string
		err := p.Scan(context.Background(), sdk.ScanRequest{Root: root, Full: full, FingerprintKey: testKey, StateDir: state,
			Options: map[string]string{"paths": "/srv"}}, func(e *event.Event) error { got = append(got, e.Fingerprint); return nil })
		if err != nil || len(got) != 1 {
			t.Fatalf("full=%v: %v, %v", full, got, err)
		}
		return got[0]
	}
	first := scanFP(true)
	if err := os.WriteFile(file, []byte("token: "+newTok+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(file, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	if got := scanFP(false); got != first {
		t.Fatal("the incremental scan read an unchanged file (size, mtime, inode) again")
	}
	if got := scanFP(true); got == first {
		t.Fatal("the full scan did not read the file")
	}
	b, err := os.ReadFile(filepath.Join(state, cacheFile))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), oldTok) || strings.Contains(string(b), newTok) || !strings.Contains(string(b), "/srv/app.conf") {
		t.Fatalf("cache must name files and hold no secret: %s", b)
	}
	// A modified file (new mtime) is read again by an incremental scan:
	// the cache now holds the new token, the file the old one again.
	if err := os.WriteFile(file, []byte("token: "+oldTok+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	later := mtime.Add(time.Hour)
	if err := os.Chtimes(file, later, later); err != nil {
		t.Fatal(err)
	}
	if got := scanFP(false); got != first {
		t.Fatal("the incremental scan trusted the cache for a modified file")
	}
}
