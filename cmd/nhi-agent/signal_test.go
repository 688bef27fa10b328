//go:build linux

package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nhiradar/nhiradar/internal/devservices"
	"github.com/nhiradar/nhiradar/internal/testlog"
)

// buildWithTestPlugin builds the agent and, under a shipped plugin's name,
// the plugin host's test plugin, whose behaviour NHI_TESTPLUGIN_MODE sets.
func buildWithTestPlugin(t *testing.T) (agent, plugin string) {
	t.Helper()
	dir := t.TempDir()
	agent, plugin = filepath.Join(dir, "nhi-agent"), filepath.Join(dir, "nhi-plugin-credfiles")
	for out, pkg := range map[string]string{agent: "./cmd/nhi-agent", plugin: "./agent/pluginhost/testplugin"} {
		cmd := exec.Command("go", "build", "-o", out, pkg)
		cmd.Dir = devservices.RepoRoot()
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", pkg, err, b)
		}
	}
	return agent, plugin
}

func startScan(t *testing.T, agent, mode string, args ...string) (*exec.Cmd, *testlog.Buffer, <-chan error) {
	t.Helper()
	cmd := exec.Command(agent, append([]string{"scan", "--plugin-dir", filepath.Dir(agent), "--plugins", "credfiles",
		"--root", t.TempDir()}, args...)...)
	cmd.Env = append(os.Environ(), "NHI_TESTPLUGIN_MODE="+mode, "NHI_FINGERPRINT_KEY=signal-test-organisation-key")
	logs := &testlog.Buffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return cmd, logs, done
}

func waitExit(t *testing.T, done <-chan error, within time.Duration, logs *testlog.Buffer) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(within):
		t.Fatalf("nhi-agent scan still running after %s:\n%s", within, logs)
		return nil
	}
}

// pidsOf lists the live processes running exe.
func pidsOf(exe string) []int {
	var out []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if target, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe")); err == nil && target == exe && !zombie(pid) {
			out = append(out, pid)
		}
	}
	return out
}

func zombie(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	// The state follows the command name in parentheses.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] == 'Z'
}

// TestScanStopsOnSignalAndKillsPlugins: SIGTERM or SIGINT while a plugin
// hangs in its scan ends `nhi-agent scan` within seconds, with the hung
// plugin process killed, not left running outside the agent; after a
// SIGKILL, which no deferred clean-up survives, the kernel kills it.
func TestScanStopsOnSignalAndKillsPlugins(t *testing.T) {
	agent, plugin := buildWithTestPlugin(t)
	// Should the test fail, its plugin processes must not outlive it.
	t.Cleanup(func() {
		for _, pid := range pidsOf(plugin) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd, logs, done := startScan(t, agent, "hang")
			err := devservices.WaitFor(context.Background(), 30*time.Second, func() (bool, error) {
				return strings.Contains(logs.String(), "scan started") && len(pidsOf(plugin)) > 0, nil
			})
			if err != nil {
				t.Fatalf("the plugin never started its scan:\n%s", logs)
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			if err := waitExit(t, done, 10*time.Second, logs); err == nil {
				t.Fatalf("a scan ended by %v exited 0:\n%s", sig, logs)
			}
			err = devservices.WaitFor(context.Background(), 5*time.Second, func() (bool, error) { return len(pidsOf(plugin)) == 0, nil })
			if err != nil {
				t.Fatalf("plugin processes %v still running after the scan ended", pidsOf(plugin))
			}
		})
	}
}

// TestScanAppliesTheServiceLimits: the one-shot scan kills a plugin that
// hangs past --plugin-timeout and one that allocates past --plugin-memory,
// as the service does, and reports the failure.
func TestScanAppliesTheServiceLimits(t *testing.T) {
	agent, _ := buildWithTestPlugin(t)
	cases := []struct {
		mode, reason string
		args         []string
	}{
		{"hang", "reason=timeout", []string{"--plugin-timeout", "1s"}},
		{"hog", "reason=memory_limit", []string{"--plugin-memory", strconv.Itoa(64 << 20)}},
	}
	for _, tc := range cases {
		t.Run(tc.mode, func(t *testing.T) {
			_, logs, done := startScan(t, agent, tc.mode, tc.args...)
			err := waitExit(t, done, 30*time.Second, logs)
			if err == nil || !strings.Contains(logs.String(), tc.reason) || !strings.Contains(logs.String(), "plugin(s) reported errors") {
				t.Fatalf("exit %v; want a failed scan with %s:\n%s", err, tc.reason, logs)
			}
		})
	}
}
