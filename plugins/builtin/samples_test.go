package builtin_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nhiradar/nhiradar/agent/config"
	"github.com/nhiradar/nhiradar/internal/yamlconfig"
	"github.com/nhiradar/nhiradar/plugins/builtin"
	"github.com/nhiradar/nhiradar/plugins/examples/dotfile"
	"github.com/nhiradar/nhiradar/plugins/sdk"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// samplePlugins are the plugins whose folder must hold a sample.yaml: every
// built-in one and the example third-party plugin.
func samplePlugins() map[string]sdk.Plugin {
	dirs := map[string]sdk.Plugin{"../examples/dotfile": dotfile.Plugin{}}
	for _, p := range builtin.All() {
		dirs[p.Info().Name] = p
	}
	return dirs
}

// TestSamplesLoad: every plugin has a sample.yaml, a fragment of the agent
// configuration that the agent's decoder takes (strictly, as agent.yaml's
// plugins entries) and whose options the plugin accepts.
func TestSamplesLoad(t *testing.T) {
	plugins := samplePlugins()
	if len(plugins) < 8 {
		t.Fatalf("only %d plugins", len(plugins))
	}
	for dir, p := range plugins {
		name := p.Info().Name
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, "sample.yaml")
			var fragment struct {
				Plugins []config.Plugin `yaml:"plugins"`
			}
			if _, err := yamlconfig.ReadFile(path, &fragment); err != nil {
				t.Fatal(err)
			}
			if len(fragment.Plugins) != 1 || fragment.Plugins[0].Name != name {
				t.Fatalf("%s: want one plugins entry named %q, got %+v", path, name, fragment.Plugins)
			}
			if err := acceptsOptions(t, p, fragment.Plugins[0].Options); err != nil {
				t.Fatalf("%s: the plugin refuses the sample's options: %v", path, err)
			}
		})
	}
}

// acceptsOptions runs one scan of an empty host with opts: the plugins
// check their options before anything else.
func acceptsOptions(t *testing.T, p sdk.Plugin, opts map[string]string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "proc"), 0o755); err != nil {
		t.Fatal(err)
	}
	req := sdk.ScanRequest{Root: root, Full: true, FingerprintKey: []byte(strings.Repeat("k", 32)), Now: time.Unix(1.7e9, 0),
		Options: opts, StateDir: t.TempDir()}
	return p.Scan(ctx, req, func(*event.Event) error { return nil })
}

// TestSampleCheckCatchesUnknownOption: the check above fails on an option a
// plugin does not know, for every plugin.
func TestSampleCheckCatchesUnknownOption(t *testing.T) {
	for _, p := range samplePlugins() {
		if err := acceptsOptions(t, p, map[string]string{"no_such_option": "1"}); err == nil || !strings.Contains(err.Error(), "no_such_option") {
			t.Errorf("%s accepts an unknown option: %v", p.Info().Name, err)
		}
	}
}
