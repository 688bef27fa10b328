package planted

import (
	"bytes"
	"context"
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/go-plugin"

	"github.com/nhiradar/nhiradar/plugins/builtin"
	"github.com/nhiradar/nhiradar/plugins/builtin/internal/plantedhost"
	"github.com/nhiradar/nhiradar/plugins/sdk"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// TestPlantedOverGRPC runs each file-based plugin both in process and
// behind the go-plugin gRPC shim (as its nhi-plugin-* executable serves it)
// over the same copy of the planted host: the events must be the same, so
// that the scan clock, options and every event field cross the wire.
func TestPlantedOverGRPC(t *testing.T) {
	root := plantedhost.Copy(t)
	req := sdk.ScanRequest{Root: root, Full: true, FingerprintKey: plantedhost.Key, Now: plantedhost.Now}
	for _, p := range plugins() {
		if p.Info().LiveOnly {
			continue
		}
		client, _ := plugin.TestPluginGRPCConn(t, false, sdk.PluginSet(p))
		raw, err := client.Dispense(sdk.PluginName)
		if err != nil {
			t.Fatal(err)
		}
		remote := raw.(sdk.Plugin)
		if remote.Info() != p.Info() {
			t.Errorf("%s: Info over gRPC = %+v", p.Info().Name, remote.Info())
		}
		local, over := collect(t, p, req), collect(t, remote, req)
		if !bytes.Equal(local, over) {
			t.Errorf("%s: events differ over gRPC:\nlocal:\n%s\ngrpc:\n%s", p.Info().Name, local, over)
		}
		client.Close()
	}
}

func collect(t *testing.T, p sdk.Plugin, req sdk.ScanRequest) []byte {
	t.Helper()
	var buf bytes.Buffer
	err := p.Scan(context.Background(), req, func(e *event.Event) error {
		b, err := json.Marshal(e)
		buf.Write(append(b, '\n'))
		return err
	})
	if err != nil {
		t.Fatalf("%s: %v", p.Info().Name, err)
	}
	// Parallel readers (content) emit in no fixed order; compare as sets.
	lines := strings.SplitAfter(buf.String(), "\n")
	sort.Strings(lines)
	return []byte(strings.Join(lines, ""))
}

// TestUnknownOptionIsAnError: a typo in the agent configuration fails the
// scan of every host plugin instead of being ignored.
func TestUnknownOptionIsAnError(t *testing.T) {
	for _, p := range builtin.Host() {
		req := sdk.ScanRequest{Root: "/", FingerprintKey: plantedhost.Key, Now: plantedhost.Now, Options: map[string]string{"no-such-option": "1"}}
		err := p.Scan(context.Background(), req, func(*event.Event) error { return nil })
		if err == nil {
			t.Errorf("%s accepted an unknown option", p.Info().Name)
		}
	}
}
