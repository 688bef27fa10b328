package authlog

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

// TestIncrementalScan appends to a log, rotates it and leaves a line half
// written: incremental scans report only what is new, a full scan all.
func TestIncrementalScan(t *testing.T) {
	root, state := t.TempDir(), t.TempDir()
	logDir := filepath.Join(root, "var/log")
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		t.Fatal(err)
	}
	authLog := filepath.Join(logDir, "auth.log")
	login := func(day int) string {
		return "Mar  " + string(rune('0'+day)) + " 10:00:00 h sshd[1]: Accepted publickey for app from 192.0.2." + string(rune('0'+day)) + " port 1 ssh2: RSA SHA256:k\n"
	}
	appendTo := func(p, s string) {
		f, err := os.OpenFile(p, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.WriteString(s); err != nil {
			t.Fatal(err)
		}
	}
	scan := func(full bool) []string {
		var actors []string
		req := sdk.ScanRequest{Root: root, Full: full, StateDir: state, Now: time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)}
		if err := (Plugin{}).Scan(context.Background(), req, func(e *event.Event) error {
			if e.Type == event.TypeUsageEvidence {
				actors = append(actors, e.Actor)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return actors
	}
	appendTo(authLog, login(1))
	if got := scan(false); strings.Join(got, ",") != "192.0.2.1" {
		t.Fatalf("first scan: %v", got)
	}
	appendTo(authLog, login(2)+strings.TrimSuffix(login(3), "\n"))
	if got := scan(false); strings.Join(got, ",") != "192.0.2.2" {
		t.Fatalf("after append (third line unfinished): %v", got)
	}
	appendTo(authLog, "\n")
	if err := os.Rename(authLog, authLog+".1"); err != nil {
		t.Fatal(err)
	}
	appendTo(authLog, login(4))
	if got := scan(false); strings.Join(got, ",") != "192.0.2.3,192.0.2.4" {
		t.Fatalf("after rotation: %v", got)
	}
	if got := scan(false); len(got) != 0 {
		t.Fatalf("nothing new, got %v", got)
	}
	if got := scan(true); strings.Join(got, ",") != "192.0.2.1,192.0.2.2,192.0.2.3,192.0.2.4" {
		t.Fatalf("full scan: %v", got)
	}
}
