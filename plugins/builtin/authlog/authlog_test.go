package authlog

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nhiradar/nhiradar/plugins/sdk"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
	"github.com/nhiradar/nhiradar/plugins/sdk/hostfs"
)

func TestSyslogYear(t *testing.T) {
	now := time.Date(2027, 1, 3, 10, 0, 0, 0, time.UTC)
	cases := map[string]time.Time{
		"Dec 31 23:59:59 h sshd[1]: x": time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC),
		"Jan  3 09:00:00 h sshd[1]: x": time.Date(2027, 1, 3, 9, 0, 0, 0, time.UTC),
		// Clock skew of up to a day stays in the current year.
		"Jan  4 08:00:00 h sshd[1]: x":             time.Date(2027, 1, 4, 8, 0, 0, 0, time.UTC),
		"2026-07-01T10:00:00.5+02:00 h sshd[1]: x": time.Date(2026, 7, 1, 8, 0, 0, 5e8, time.UTC),
	}
	for line, want := range cases {
		l, ok := ParseSyslog(line, now, time.UTC)
		if !ok || !l.When.Equal(want) || l.Program != "sshd" || l.Message != "x" {
			t.Errorf("%q: %+v %v, want %s", line, l, ok, want)
		}
	}
	for _, bad := range []string{"", "garbage", "Foo 12 10:00:00 h x: y", "Jun 18 09:12:44 host-without-program"} {
		if _, ok := ParseSyslog(bad, now, time.UTC); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestParseMessage(t *testing.T) {
	cases := []struct {
		prog, msg string
		want      Use
		ok        bool
	}{
		{"sshd-session", "Accepted publickey for git from 192.0.2.1 port 22 ssh2: ED25519-CERT SHA256:abc+/= ID x (serial 1) CA ED25519 SHA256:ca", Use{Evidence: "ssh_login", Method: "publickey", Account: "git", Actor: "192.0.2.1", KeyType: "ED25519-CERT", KeyFingerprint: "SHA256:abc+/="}, true},
		{"sshd", "Accepted password for app from 192.0.2.1 port 22 ssh2", Use{Evidence: "ssh_login", Method: "password", Account: "app", Actor: "192.0.2.1"}, true},
		{"sshd", "Failed publickey for app from 192.0.2.1 port 22 ssh2: ED25519 SHA256:abc", Use{}, false},
		{"sudo", "   ann : TTY=pts/0 ; PWD=/ ; USER=app ; COMMAND=/bin/sh", Use{Evidence: "sudo", Account: "app", Actor: "ann", Method: "/bin/sh"}, true},
		{"sudo", "ann : 3 incorrect password attempts ; TTY=pts/0 ; PWD=/ ; USER=app ; COMMAND=/bin/sh", Use{}, false},
		{"sudo", "pam_unix(sudo:session): session opened for user app(uid=5) by ann(uid=1000)", Use{}, false},
		{"su", "(to app) ann on pts/1", Use{Evidence: "su", Account: "app", Actor: "ann"}, true},
		{"su", "pam_unix(su:session): session opened for user app by ann(uid=1000)", Use{Evidence: "su", Account: "app", Actor: "ann"}, true},
		{"su", "FAILED SU (to app) ann on pts/1", Use{}, false},
		{"CRON", "pam_unix(cron:session): session opened for user app(uid=5) by (uid=0)", Use{}, false},
	}
	for _, c := range cases {
		got, ok := ParseMessage(Line{Program: c.prog, Message: c.msg})
		if ok != c.ok || got != c.want {
			t.Errorf("%s %q: %+v %v, want %+v %v", c.prog, c.msg, got, ok, c.want, c.ok)
		}
	}
}

func TestParseJournal(t *testing.T) {
	l, ok := ParseJournal(`{"__REALTIME_TIMESTAMP":"1781777564000000","SYSLOG_IDENTIFIER":"sshd","MESSAGE":[65,99,99]}`)
	if !ok || l.Program != "sshd" || l.Message != "Acc" || !l.When.Equal(time.UnixMicro(1781777564000000).UTC()) {
		t.Errorf("byte-array message: %+v %v", l, ok)
	}
	if _, ok := ParseJournal(`{"MESSAGE":"x"}`); ok {
		t.Error("record without a timestamp parsed")
	}
}

// TestGzippedRotation reads a rotated, compressed log; the login to a
// person's account by password proves nothing and is left out.
func TestGzippedRotation(t *testing.T) {
	root := t.TempDir()
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	_, _ = w.Write([]byte("Mar  1 10:00:00 h sshd[9]: Accepted publickey for ann from 192.0.2.9 port 1 ssh2: RSA SHA256:k1\n" +
		"Mar  1 11:00:00 h sshd[9]: Accepted password for ann from 192.0.2.9 port 1 ssh2\n"))
	_ = w.Close()
	files := map[string][]byte{
		"etc/passwd":            []byte("ann:x:1000:1000:Ann:/home/ann:/bin/bash\n"),
		"var/log/auth.log.2.gz": gz.Bytes(),
	}
	for p, b := range files {
		_ = os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755)
		if err := os.WriteFile(filepath.Join(root, p), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var got []*event.Event
	req := sdk.ScanRequest{Root: root, Now: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)}
	if err := (Plugin{}).Scan(context.Background(), req, func(e *event.Event) error { got = append(got, e); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Principal != "SHA256:k1" || got[0].Source != "/var/log/auth.log.2.gz" || got[0].Account != "ann" {
		t.Fatalf("got %+v", got)
	}
}

// TestSudoCommandRedacted: a password on a logged command line stays in
// the plugin.
func TestSudoCommandRedacted(t *testing.T) {
	a := newAggregator(map[string]bool{"postgres": true})
	pw := "Vq7Lm2Xr9Tz4Kp8Wd3"
	a.add(Use{Evidence: "sudo", Account: "postgres", Actor: "ann", Method: "/usr/bin/psql postgres://report:" + pw + "@db/reports", When: time.Now()}, "/var/log/auth.log")
	ev := a.events()
	if len(ev) != 1 || ev[0].Attrs["command"] != "/usr/bin/psql postgres://report:[redacted]@db/reports" {
		t.Fatalf("got %+v", ev)
	}
}

// TestHostTimeZone gives a rebased root a zone through an absolute link, as
// images have it: traditional timestamps are read in that zone.
func TestHostTimeZone(t *testing.T) {
	tz, err := os.ReadFile("/usr/share/zoneinfo/Europe/Berlin")
	if err != nil {
		t.Skip("no tzdata on this machine:", err)
	}
	root := t.TempDir()
	zdir := filepath.Join(root, "usr/share/zoneinfo/Europe")
	_ = os.MkdirAll(zdir, 0o755)
	_ = os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	if err := os.WriteFile(filepath.Join(zdir, "Berlin"), tz, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/usr/share/zoneinfo/Europe/Berlin", filepath.Join(root, "etc/localtime")); err != nil {
		t.Fatal(err)
	}
	loc := hostLocation(hostfs.New(root))
	l, ok := ParseSyslog("Jun 18 09:12:44 h sshd[1]: x", time.Date(2026, 6, 20, 0, 0, 0, 0, time.UTC), loc)
	if !ok || !l.When.Equal(time.Date(2026, 6, 18, 7, 12, 44, 0, time.UTC)) {
		t.Fatalf("got %s, want 07:12:44 UTC (CEST is UTC+2)", l.When)
	}
	if hostLocation(hostfs.New(t.TempDir())) != time.UTC {
		t.Error("a root without /etc/localtime is not UTC")
	}
}
