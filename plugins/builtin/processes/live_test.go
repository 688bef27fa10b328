package processes

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nhiradar/nhiradar/plugins/sdk"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
	"github.com/nhiradar/nhiradar/plugins/sdk/secret"
)

// TestLiveProcess scans the live host with a child process that carries
// planted secrets, and checks what is reported about that child.
func TestLiveProcess(t *testing.T) {
	cmd, p := startChild(t)
	pid := strconv.Itoa(cmd.Process.Pid)
	var mine []*event.Event
	var all strings.Builder
	err := Plugin{}.Scan(context.Background(), sdk.ScanRequest{FingerprintKey: testKey, Now: time.Now()}, func(e *event.Event) error {
		e.Plugin = Name
		e.Complete("test-agent", "test-host", time.Now())
		if err := e.Validate(); err != nil {
			t.Errorf("invalid event %s %s: %v", e.Kind, e.Key, err)
		}
		b, _ := json.Marshal(e)
		all.Write(b)
		if e.Attrs["pid"] == pid {
			mine = append(mine, e)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{p.apiToken, p.github, p.dbPass, p.argToken, p.awsSecret} {
		if strings.Contains(all.String(), s) {
			t.Fatalf("a planted secret (starting %.4q) left the plugin", s)
		}
	}
	fp, _ := secret.NewFingerprinter(testKey)
	type want struct {
		kind      event.Kind
		principal string
		value     string
		source    string
	}
	wants := map[string]want{
		"API_TOKEN":             {event.KindGenericSecret, "", p.apiToken, "environ"},
		"GITHUB_TOKEN":          {event.KindGitHubToken, "", p.github, "environ"},
		"AWS_SECRET_ACCESS_KEY": {event.KindAWSAccessKey, p.awsID, p.awsSecret, "environ"},
		"--db-password":         {event.KindPassword, "", p.dbPass, "cmdline"},
		"--api-token":           {event.KindGenericSecret, "", p.argToken, "cmdline"},
	}
	observed, used := map[string]bool{}, map[string]bool{}
	opened := map[string]*event.Event{}
	for _, e := range mine {
		switch {
		case e.Evidence == event.EvidenceOpenFile:
			opened[e.Location] = e
			continue
		case e.Type == event.TypeNHIObserved:
			observed[e.Key] = true
		case e.Evidence == event.EvidenceProcess:
			used[e.Key] = true
		}
		w, ok := wants[e.Key]
		if !ok {
			t.Errorf("unexpected finding %s %s (decoy or wrong key)", e.Kind, e.Key)
			continue
		}
		if e.Kind != w.kind || e.Principal != w.principal || e.Fingerprint != fp.Of(w.value) || e.Attrs["source"] != w.source {
			t.Errorf("%s: got kind %s principal %q source %s, fingerprint match %v", e.Key, e.Kind, e.Principal, e.Attrs["source"], e.Fingerprint == fp.Of(w.value))
		}
		if e.Attrs["user"] == "" || e.Attrs["exe"] == "" || !strings.HasPrefix(e.Location, "process:/") {
			t.Errorf("%s: user, exe or location missing: %v %s", e.Key, e.Attrs, e.Location)
		}
	}
	for k := range wants {
		if !observed[k] || !used[k] {
			t.Errorf("%s: observed %v, process evidence %v", k, observed[k], used[k])
		}
	}
	if e := opened[p.credFile]; e == nil || e.Principal != "file:"+p.credFile {
		t.Errorf("open credentials file not reported: %+v", e)
	}
	if e := opened[p.keyFile]; e == nil || e.Kind != event.KindSSHPrivateKey || e.Principal != p.keyPrincipal || e.Fingerprint == "" {
		t.Errorf("open SSH key not reported with its principal: %+v", e)
	}
}

func TestRebasedRootScansNothing(t *testing.T) {
	if !(Plugin{}).Info().LiveOnly {
		t.Fatal("processes must be LiveOnly")
	}
	err := Plugin{}.Scan(context.Background(), sdk.ScanRequest{Root: t.TempDir(), FingerprintKey: testKey},
		func(e *event.Event) error { t.Errorf("event under a rebased root: %+v", e); return nil })
	if err != nil {
		t.Fatal(err)
	}
}
