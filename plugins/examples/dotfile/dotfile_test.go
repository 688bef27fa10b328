package dotfile_test

import (
	"testing"

	"github.com/nhiradar/nhiradar/plugins/examples/dotfile"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
	"github.com/nhiradar/nhiradar/plugins/sdk/sdktest"
)

const token = "acme_5f0bQ9zL2xWv7TkR3mNp8YsD1hGc4JeU"

func check(t *testing.T, r sdktest.Result) {
	t.Helper()
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	r.Valid(t)
	r.NoLeak(t, token)
	got := r.Find(event.KindAPIKey, "/home/carol/.acmerc")
	if len(got) != 1 || got[0].Principal != "carol" || got[0].Fingerprint != sdktest.Fingerprint(token) {
		t.Fatalf("carol's token: %+v", got)
	}
	if len(r.Events) != 1 {
		t.Fatalf("%d events, want 1 (dave's placeholder is not a token)", len(r.Events))
	}
}

func TestInProcess(t *testing.T) {
	check(t, sdktest.Run(t, dotfile.Plugin{}, "testdata/host", nil))
}

// TestExecutable builds the plugin's main and runs it through go-plugin,
// exactly as the agent would start a third-party plugin.
func TestExecutable(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the plugin executable")
	}
	bin := sdktest.Build(t, "./cmd/nhi-plugin-dotfile")
	check(t, sdktest.RunExecutable(t, bin, "testdata/host", nil))
}
