package authlog

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nhiradar/nhiradar/plugins/sdk"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
	"github.com/nhiradar/nhiradar/plugins/sdk/hostfs"
)

// TestReadJournal runs readJournal against a stand-in journalctl that
// prints two records, one of them a use, and checks the arguments it gets.
func TestReadJournal(t *testing.T) {
	dir := t.TempDir()
	argsFile := filepath.Join(dir, "args")
	script := "#!/bin/sh\necho \"$@\" > " + argsFile + "\n" +
		`echo '{"__REALTIME_TIMESTAMP":"1781777564000000","SYSLOG_IDENTIFIER":"sshd","MESSAGE":"Accepted publickey for app from 192.0.2.5 port 2 ssh2: ED25519 SHA256:jk"}'` + "\n" +
		`echo '{"__REALTIME_TIMESTAMP":"1781777565000000","SYSLOG_IDENTIFIER":"sshd","MESSAGE":"Failed password for app from 192.0.2.5 port 2 ssh2"}'` + "\n"
	if err := os.WriteFile(filepath.Join(dir, "journalctl"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	var got []Use
	var sources []string
	if err := readJournal(context.Background(), hostfs.New("/"), "-7d", func(u Use, src string) { got = append(got, u); sources = append(sources, src) }, nil); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].KeyFingerprint != "SHA256:jk" || got[0].Account != "app" || sources[0] != journalSource {
		t.Fatalf("got %+v from %v", got, sources)
	}
	args, _ := os.ReadFile(argsFile)
	if want := "--no-pager -q -o json --since=-7d SYSLOG_IDENTIFIER=sshd SYSLOG_IDENTIFIER=sshd-session SYSLOG_IDENTIFIER=sudo SYSLOG_IDENTIFIER=su\n"; string(args) != want {
		t.Errorf("journalctl called with %q", args)
	}
}

func TestNoJournalctlIsNoError(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	if err := readJournal(context.Background(), hostfs.New("/"), "", func(Use, string) { t.Error("use without a journal") }, nil); err != nil {
		t.Fatal(err)
	}
}

// TestImageJournalIsRead scans an image whose only log is a real journal
// file (testdata/journal-host, written by systemd-journal-remote from
// testdata/journal-host.export) with the machine's real journalctl: the SSH
// logins by key and the sudo into a service account are evidence, named
// after the image's journal directory; the failed login and the cron
// session are not.
func TestImageJournalIsRead(t *testing.T) {
	if _, err := exec.LookPath("journalctl"); err != nil {
		t.Fatal("journalctl (Debian package systemd) is needed to read journal files")
	}
	var got, covered []string
	err := Plugin{}.Scan(context.Background(), sdk.ScanRequest{Root: "testdata/journal-host", Full: true,
		FingerprintKey: []byte("authlog-test-key-0001"), Now: time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC),
		Options: map[string]string{"journal_since": "2026-01-01"}}, func(e *event.Event) error {
		if e.Type == event.TypeScanCoverage {
			covered = append(covered, e.Location+" "+e.Attrs["from"]+" "+e.Attrs["to"])
			return nil
		}
		got = append(got, strings.Join([]string{string(e.Evidence), e.Principal, e.Account, e.Actor, e.Source, e.UsedAt.UTC().Format(time.RFC3339)}, " "))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"ssh_login SHA256:SGLrjvzZE3ep85faJQrd8+Xc63Q3gjqiSTY0wuabxcc root 203.0.113.9 /var/log/journal 2026-06-18T09:12:44Z",
		"ssh_login SHA256:ashhzc0W1QGlAMnMQvqC6ImONc4sPxFtcRE8HhIrJZU deploy 198.51.100.7 /var/log/journal 2026-06-17T22:05:31Z",
		"sudo svc-backup svc-backup alice /var/log/journal 2026-06-18T10:00:00Z",
	}
	slices.Sort(got)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("evidence from the image's journal:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(covered) != 1 || !strings.HasPrefix(covered[0], "/var/log/journal ") {
		t.Errorf("coverage %v; want one report for the image's journal", covered)
	}
}
