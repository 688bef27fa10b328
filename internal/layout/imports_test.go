// Package layout holds the repository's architecture rules as tests: which
// parts may import which. A rule broken here is a design change to argue in
// review, not a test to adjust.
package layout

import (
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/nhiradar/nhiradar/"

type pkg struct {
	ImportPath string
	Deps       []string
}

// listDeps returns, for every package of the module, the module packages it
// depends on (directly or not).
func listDeps(t *testing.T) map[string][]string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps=false", "-json", "-f", "", module+"...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := map[string][]string{}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		for _, d := range p.Deps {
			if strings.HasPrefix(d, module) {
				deps[p.ImportPath] = append(deps[p.ImportPath], strings.TrimPrefix(d, module))
			}
		}
	}
	if len(deps) == 0 {
		t.Fatal("go list found no package of the module with module dependencies")
	}
	return deps
}

func under(p, prefix string) bool { return p == prefix || strings.HasPrefix(p, prefix+"/") }

// rules: packages under `from` must not depend on anything under `forbidden`.
var rules = []struct{ from, forbidden string }{
	{"agent", "collector"},
	{"collector", "agent"},
	{"analytics", "agent"},
	{"analytics", "collector/ticket"},
	{"plugins", "agent"},
	{"plugins", "collector"},
	{"plugins", "analytics"},
	{"plugins/sdk/event", "plugins/sdk/hostfs"},
}

func TestImportRules(t *testing.T) {
	for path, deps := range listDeps(t) {
		rel := strings.TrimPrefix(path, module)
		for _, d := range deps {
			for _, r := range rules {
				if under(rel, r.from) && under(d, r.forbidden) {
					t.Errorf("%s depends on %s: %s must not import %s", rel, d, r.from, r.forbidden)
				}
			}
		}
	}
}

// The wire schema imports nothing of the project but its own internals.
func TestWireSchemaImportsNothingOfOurs(t *testing.T) {
	deps := listDeps(t)
	for _, d := range deps[module+"plugins/sdk/event"] {
		if !under(d, "plugins/sdk/event") {
			t.Errorf("plugins/sdk/event depends on %s", d)
		}
	}
}

// Plugins import only the SDK, their shared internals and the testing helpers.
func TestPluginsImportOnlyTheSDK(t *testing.T) {
	for path, deps := range listDeps(t) {
		rel := strings.TrimPrefix(path, module)
		if !under(rel, "plugins/builtin") && !under(rel, "plugins/examples") {
			continue
		}
		for _, d := range deps {
			if !under(d, "plugins") && !under(d, "internal/testlog") {
				t.Errorf("plugin package %s depends on %s (only plugins/sdk and plugins/builtin/internal are allowed)", rel, d)
			}
		}
	}
}
