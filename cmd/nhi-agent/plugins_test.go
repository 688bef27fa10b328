package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/nhiradar/nhiradar/internal/devservices"
	"github.com/nhiradar/nhiradar/plugins/builtin"
)

// The one-shot scan runs the shipped plugin executables in the order of
// builtin.All(), and each has its command.
func TestShippedMatchesBuiltin(t *testing.T) {
	var names []string
	for _, p := range builtin.All() {
		names = append(names, p.Info().Name)
		if _, err := os.Stat(filepath.Join(devservices.RepoRoot(), "cmd", "nhi-plugin-"+p.Info().Name, "main.go")); err != nil {
			t.Errorf("plugin %s has no command: %v", p.Info().Name, err)
		}
	}
	if !slices.Equal(names, shipped) {
		t.Fatalf("shipped = %v, builtin.All() = %v", shipped, names)
	}
}
