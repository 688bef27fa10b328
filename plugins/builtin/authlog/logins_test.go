package authlog

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nhiradar/nhiradar/plugins/sdk"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

func utmpRecord(typ int16, user, host, line string, at time.Time) []byte {
	b := make([]byte, utmpSize)
	binary.LittleEndian.PutUint16(b[0:], uint16(typ))
	copy(b[8:40], line)
	copy(b[44:76], user)
	copy(b[76:332], host)
	binary.LittleEndian.PutUint32(b[340:], uint32(at.Unix()))
	return b
}

// TestLoginRecords: wtmp sessions and lastlog entries are login evidence
// for service accounts, people's logins are not reported, a torn last
// record is left alone, and wtmp's span is reported as coverage.
func TestLoginRecords(t *testing.T) {
	root := t.TempDir()
	at := func(p string, b []byte) {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, p), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	at("etc/passwd", []byte("root:x:0:0:root:/root:/bin/bash\nbackup:x:34:34:backup:/var/backups:/usr/sbin/nologin\nalice:x:1000:1000:Alice:/home/alice:/bin/bash\n"))
	first, session, console := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC), time.Date(2026, 5, 1, 9, 30, 0, 0, time.UTC), time.Date(2026, 5, 2, 7, 0, 0, 0, time.UTC)
	var wtmp []byte
	wtmp = append(wtmp, utmpRecord(userProcess, "alice", "192.0.2.4", "pts/0", first)...)
	wtmp = append(wtmp, utmpRecord(userProcess, "backup", "10.0.0.9", "pts/1", session)...)
	wtmp = append(wtmp, utmpRecord(8, "backup", "10.0.0.9", "pts/1", session.Add(time.Hour))...) // DEAD_PROCESS: a logout
	wtmp = append(wtmp, utmpRecord(userProcess, "backup", "", "tty1", console)...)
	wtmp = append(wtmp, make([]byte, 100)...) // a record being written
	at("var/log/wtmp", wtmp)
	last := make([]byte, 35*lastlogSize)
	binary.LittleEndian.PutUint32(last[34*lastlogSize:], uint32(console.Add(time.Hour).Unix()))
	copy(last[34*lastlogSize+36:], "10.1.1.1")
	at("var/log/lastlog", last)

	var uses []string
	var cover *event.Event
	err := Plugin{}.Scan(context.Background(), sdk.ScanRequest{Root: root, Full: true, FingerprintKey: []byte("authlog-test-key-0001"),
		Now: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), Options: map[string]string{"journal": "off"}}, func(e *event.Event) error {
		switch e.Type {
		case event.TypeUsageEvidence:
			uses = append(uses, string(e.Evidence)+" "+e.Principal+" "+e.Actor+" "+e.UsedAt.Format(time.RFC3339)+" "+e.Source)
		case event.TypeScanCoverage:
			cover = e
		case event.TypeScanWarning:
			t.Errorf("warning: %s %s", e.Location, e.Attrs["reason"])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{
		"login backup 10.0.0.9 2026-05-01T09:30:00Z /var/log/wtmp":    true,
		"login backup tty1 2026-05-02T07:00:00Z /var/log/wtmp":        true,
		"login backup 10.1.1.1 2026-05-02T08:00:00Z /var/log/lastlog": true,
	}
	if len(uses) != len(want) {
		t.Fatalf("uses %q; want %d", uses, len(want))
	}
	for _, u := range uses {
		if !want[u] {
			t.Errorf("unexpected use %q", u)
		}
	}
	if cover == nil || cover.Location != "/var/log/wtmp" || cover.Attrs["evidence"] != "login" || cover.Attrs["from"] != "2026-01-05T08:00:00Z" {
		t.Fatalf("coverage %+v; want wtmp from alice's first login", cover)
	}
}
