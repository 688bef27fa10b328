package sdktest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/nhiradar/nhiradar/plugins/sdk"
)

// RunGRPC scans root with p behind go-plugin's gRPC client and server shims,
// connected in process (no subprocess): what crosses the wire is what the
// agent would receive. Log is what the plugin logged on its side of the
// wire.
func RunGRPC(t testing.TB, p sdk.Plugin, root string, opts map[string]string) Result {
	t.Helper()
	tt, ok := t.(*testing.T)
	if !ok {
		t.Fatal("sdktest.RunGRPC needs a *testing.T")
	}
	var log lockedBuffer
	set := plugin.PluginSet{sdk.PluginName: &sdk.GRPCPlugin{Impl: p, Log: textLogger(&log)}}
	client, _ := plugin.TestPluginGRPCConn(tt, false, set)
	defer client.Close()
	raw, err := client.Dispense(sdk.PluginName)
	if err != nil {
		t.Fatal(err)
	}
	res := scan(raw.(sdk.Plugin), root, opts, nil)
	res.Log = log.String()
	return res
}

// Build compiles the plugin main package pkg (an import path or a ./ path
// relative to the test's directory) into a temporary directory and returns
// the executable's path.
func Build(t testing.TB, pkg string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("build %s: %v", pkg, err)
	}
	return out
}

// RunExecutable starts the plugin executable at path the way the agent
// does (go-plugin, gRPC, the SDK's handshake) and scans root with it. The
// plugin's stderr and go-plugin's log are the result's Log.
func RunExecutable(t testing.TB, path, root string, opts map[string]string) Result {
	t.Helper()
	var log bytes.Buffer
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  sdk.Handshake,
		Plugins:          sdk.PluginSet(nil),
		Cmd:              exec.Command(path),
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Stderr:           &log,
		Logger:           hclog.New(&hclog.LoggerOptions{Output: &log, Level: hclog.Debug}),
	})
	defer client.Kill()
	rpc, err := client.Client()
	if err != nil {
		t.Fatalf("start plugin %s: %v", path, err)
	}
	raw, err := rpc.Dispense(sdk.PluginName)
	if err != nil {
		t.Fatal(err)
	}
	res := scan(raw.(sdk.Plugin), root, opts, nil)
	client.Kill()
	res.Log = log.String()
	return res
}
