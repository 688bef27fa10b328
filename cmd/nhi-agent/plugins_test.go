package main

import (
	"os"
	"os/exec"
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

// The service runs through kardianos/service on launchd and the Windows
// service manager too. Those are not exercised here (no such hosts); this
// holds the agent to compiling for them, so that the claim stays true.
func TestAgentBuildsForMacOSAndWindows(t *testing.T) {
	for _, goos := range []string{"darwin", "windows"} {
		cmd := exec.Command("go", "build", "-o", os.DevNull, "./cmd/nhi-agent")
		cmd.Dir = devservices.RepoRoot()
		cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH=amd64", "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("GOOS=%s: %v\n%s", goos, err, out)
		}
	}
}
