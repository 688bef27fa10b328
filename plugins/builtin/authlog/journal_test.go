package authlog

import (
	"context"
	"os"
	"path/filepath"
	"testing"
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
	if err := readJournal(context.Background(), "-7d", func(u Use, src string) { got = append(got, u); sources = append(sources, src) }); err != nil {
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
	if err := readJournal(context.Background(), "", func(Use, string) { t.Error("use without a journal") }); err != nil {
		t.Fatal(err)
	}
}
