package planted_test

import (
	"bufio"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/nhiradar/nhiradar/plugins/builtin"
	"github.com/nhiradar/nhiradar/plugins/builtin/credfiles"
	"github.com/nhiradar/nhiradar/plugins/sdk"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
	"github.com/nhiradar/nhiradar/plugins/sdk/sdktest"
)

const credsRoot = "testdata/host"

type credsExpect struct {
	Kind      event.Kind `json:"kind"`
	Principal string     `json:"principal"`
	Location  string     `json:"location"`
}

func credsLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := sc.Text(); strings.TrimSpace(l) != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

func credsExpected(t *testing.T, path string) []credsExpect {
	var out []credsExpect
	for _, l := range credsLines(t, path) {
		var e credsExpect
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, e)
	}
	return out
}

// credsRunners run a plugin in process and behind go-plugin's gRPC shim.
var credsRunners = map[string]func(*testing.T, sdk.Plugin) sdktest.Result{
	"in-process": func(t *testing.T, p sdk.Plugin) sdktest.Result { return sdktest.Run(t, p, credsRoot, nil) },
	"grpc":       func(t *testing.T, p sdk.Plugin) sdktest.Result { return sdktest.RunGRPC(t, p, credsRoot, nil) },
}

// TestCredsPlanted checks the credfiles and content plugins on the planted
// host: every expected credential found with its kind and principal
// (recall 100%), no decoy reported, no planted secret in any event, log or
// error, every event valid on the wire.
func TestCredsPlanted(t *testing.T) {
	for mode, run := range credsRunners {
		t.Run(mode, func(t *testing.T) {
			cf := run(t, credfiles.Plugin{})
			ct := run(t, builtin.Content())
			credsCheck(t, cf, ct)
		})
	}
}

// TestCredsPlantedExecutables runs the real plugin executables through
// go-plugin, as the agent does.
func TestCredsPlantedExecutables(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the plugin executables")
	}
	cf := sdktest.RunExecutable(t, sdktest.Build(t, "github.com/nhiradar/nhiradar/cmd/nhi-plugin-credfiles"), credsRoot, nil)
	ct := sdktest.RunExecutable(t, sdktest.Build(t, "github.com/nhiradar/nhiradar/cmd/nhi-plugin-content"), credsRoot, nil)
	credsCheck(t, cf, ct)
}

func credsCheck(t *testing.T, cf, ct sdktest.Result) {
	t.Helper()
	for name, r := range map[string]sdktest.Result{"credfiles": cf, "content": ct} {
		if r.Err != nil {
			t.Fatalf("%s: %v", name, r.Err)
		}
		r.Valid(t)
	}
	credsRecall(t, "credfiles", cf, credsExpected(t, "testdata/expected/credfiles.jsonl"))
	credsRecall(t, "content", ct, credsExpected(t, "testdata/expected/content.jsonl"))
	// Credentials that carry an expiry must report it.
	for _, w := range []credsExpect{
		{event.KindPrivateKey, "", "/opt/gateway/tls/gateway.key"},
		{event.KindKubernetesClientCert, "", "/home/alice/.kube/config"},
		{event.KindKubernetesSAToken, "", "/home/alice/.kube/config"},
	} {
		for _, e := range cf.Find(w.Kind, w.Location) {
			if e.ExpiresAt == nil {
				t.Errorf("%s at %s: no expires_at", w.Kind, w.Location)
			}
		}
		if len(cf.Find(w.Kind, w.Location)) == 0 {
			t.Errorf("%s at %s: not found", w.Kind, w.Location)
		}
	}
	all := sdktest.Result{Events: append(append([]*event.Event(nil), cf.Events...), ct.Events...), Log: cf.Log + ct.Log}
	for _, l := range credsLines(t, "testdata/expected/decoys-credfiles.txt") {
		loc, val, _ := strings.Cut(l, "\t")
		for _, e := range all.Events {
			if e.Location == loc && (val == "" || e.Fingerprint == sdktest.Fingerprint(val)) {
				t.Errorf("decoy reported: %s %s (%s)", e.Kind, loc, e.Key)
			}
		}
	}
	all.NoLeak(t, credsLines(t, "testdata/expected/secrets-credfiles.txt")...)
}

func credsRecall(t *testing.T, plugin string, r sdktest.Result, want []credsExpect) {
	t.Helper()
	found := 0
	for _, w := range want {
		ok := false
		for _, e := range r.Find(w.Kind, w.Location) {
			ok = ok || e.Principal == w.Principal
		}
		if ok {
			found++
		} else {
			t.Errorf("%s missed %s %q at %s", plugin, w.Kind, w.Principal, w.Location)
		}
	}
	t.Logf("%s: recall %d/%d, %d events", plugin, found, len(want), len(r.Events))
}
