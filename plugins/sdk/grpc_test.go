package sdk

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hashicorp/go-plugin"

	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

type fakePlugin struct{ fail bool }

func (fakePlugin) Info() Info { return Info{Name: "fake", Version: "1.2.3", LiveOnly: true} }

func (f fakePlugin) Scan(_ context.Context, req ScanRequest, emit Emit) error {
	for _, p := range []string{"svc1", req.Root} {
		if err := emit(&event.Event{Type: event.TypeNHIObserved, Kind: event.KindOSServiceAccount, Principal: p, Location: "/etc/passwd"}); err != nil {
			return err
		}
	}
	if f.fail {
		return errors.New("disk on fire")
	}
	return nil
}

func dial(t *testing.T, impl Plugin) Plugin {
	client, _ := plugin.TestPluginGRPCConn(t, false, PluginSet(impl))
	t.Cleanup(func() { client.Close() })
	raw, err := client.Dispense(PluginName)
	if err != nil {
		t.Fatal(err)
	}
	return raw.(Plugin)
}

func TestGRPCRoundTrip(t *testing.T) {
	p := dial(t, fakePlugin{})
	if i := p.Info(); i.Name != "fake" || i.Version != "1.2.3" || !i.LiveOnly {
		t.Fatalf("Info = %+v", i)
	}
	var got []string
	err := p.Scan(context.Background(), ScanRequest{Root: "/mnt/img"}, func(e *event.Event) error {
		got = append(got, e.Principal)
		return nil
	})
	if err != nil || strings.Join(got, ",") != "svc1,/mnt/img" {
		t.Fatalf("Scan = %v, %v", got, err)
	}
}

func TestGRPCScanError(t *testing.T) {
	p := dial(t, fakePlugin{fail: true})
	n := 0
	err := p.Scan(context.Background(), ScanRequest{}, func(*event.Event) error { n++; return nil })
	if err == nil || !strings.Contains(err.Error(), "disk on fire") || n != 2 {
		t.Fatalf("Scan = %d events, %v; want 2 events then the plugin's error", n, err)
	}
}
