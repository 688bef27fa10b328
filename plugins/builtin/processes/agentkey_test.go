package processes

import (
	"testing"
	"time"

	"github.com/nhiradar/nhiradar/plugins/sdk/event"
	"github.com/nhiradar/nhiradar/plugins/sdk/hostfs"
	"github.com/nhiradar/nhiradar/plugins/sdk/secret"
)

// TestAgentKeyNotAFinding: the organisation key in NHI Radar's own
// processes' environment is how the agent was started, not a credential
// found on the host; the same variable in another process is reported.
func TestAgentKeyNotAFinding(t *testing.T) {
	fp, err := secret.NewFingerprinter(testKey)
	if err != nil {
		t.Fatal(err)
	}
	env := []string{agentKeyVar + "=" + randomToken(t, 32), "PATH=/usr/bin"}
	for _, c := range []struct {
		p    proc
		want bool
	}{
		{proc{pid: 10, name: "nhi-agent", exe: "/usr/bin/nhi-agent", env: env}, false},
		{proc{pid: 11, name: "nhi-plugin-cont", exe: "/usr/lib/nhi-agent/plugins/nhi-plugin-content", env: env}, false},
		{proc{pid: 12, name: "nhi-agent", env: env}, false},
		{proc{pid: 13, name: "bash", exe: "/usr/bin/bash", env: env}, true},
	} {
		var got []*event.Event
		r := newReporter(hostfs.New("/"), fp, time.Now(), func(e *event.Event) error { got = append(got, e); return nil })
		if err := r.process(c.p); err != nil {
			t.Fatal(err)
		}
		if reported := len(got) > 0; reported != c.want {
			t.Errorf("%s (%s): reported %v, want %v", c.p.name, c.p.exe, reported, c.want)
		}
	}
}

// TestAgentKeyFileNotAFinding: under systemd the agent reads its key from
// the credential systemd passes (LoadCredential=) or from the key file;
// NHI Radar's own processes holding them open are not a finding, any other
// process holding them is.
func TestAgentKeyFileNotAFinding(t *testing.T) {
	fp, err := secret.NewFingerprinter(testKey)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		p    proc
		want bool
	}{
		{proc{pid: 10, name: "nhi-agent", exe: "/usr/bin/nhi-agent", files: []string{"/run/credentials/nhi-agent.service/fingerprint-key"}}, false},
		{proc{pid: 11, name: "nhi-agent", exe: "/usr/bin/nhi-agent", files: []string{"/etc/nhi-agent/fingerprint.key"}}, false},
		{proc{pid: 12, name: "nhi-agent", exe: "/usr/bin/nhi-agent", env: []string{"CREDENTIALS_DIRECTORY=/run/credentials/nhi-agent.service"}}, false},
		{proc{pid: 13, name: "cat", exe: "/usr/bin/cat", files: []string{"/etc/nhi-agent/fingerprint.key"}}, true},
		{proc{pid: 14, name: "cat", exe: "/usr/bin/cat", files: []string{"/run/credentials/nhi-agent.service/fingerprint-key"}}, true},
	} {
		var got []*event.Event
		r := newReporter(hostfs.New(t.TempDir()), fp, time.Now(), func(e *event.Event) error { got = append(got, e); return nil })
		if err := r.process(c.p); err != nil {
			t.Fatal(err)
		}
		if reported := len(got) > 0; reported != c.want {
			t.Errorf("%s holding %v: reported %v, want %v", c.p.name, c.p.files, reported, c.want)
		}
	}
}
