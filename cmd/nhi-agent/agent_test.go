package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/nhiradar/nhiradar/agent/pluginhost"
	"github.com/nhiradar/nhiradar/internal/devservices"
	"github.com/nhiradar/nhiradar/internal/spool"
	"github.com/nhiradar/nhiradar/internal/testlog"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

type binaries struct{ agent, plugin, pluginSum string }

func build(t *testing.T) binaries {
	t.Helper()
	dir := t.TempDir()
	// The agent and every shipped plugin, side by side as installed.
	cmd := exec.Command("go", "build", "-o", dir+"/", "./cmd/nhi-agent", "./cmd/nhi-plugin-...")
	cmd.Dir = devservices.RepoRoot()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	b := binaries{agent: filepath.Join(dir, "nhi-agent"), plugin: filepath.Join(dir, "nhi-plugin-credfiles")}
	var err error
	if b.pluginSum, err = pluginhost.FileSHA256(b.plugin); err != nil {
		t.Fatal(err)
	}
	return b
}

func writeConfig(t *testing.T, dir, broker, topic, stateDir string, b binaries) string {
	t.Helper()
	root, _ := filepath.Abs("../e2e/testdata/host")
	src := fmt.Sprintf(`brokers: [%s]
topic: %s
state_dir: %s
root: %s
heartbeat_interval: 1s
plugins:
  - name: credfiles
    path: %s
    sha256: %s
    interval: 2s
`, broker, topic, stateDir, root, b.plugin, b.pluginSum)
	path := filepath.Join(dir, "agent.yaml")
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func startAgent(t *testing.T, bin, cfg string) (*exec.Cmd, *testlog.Buffer) {
	t.Helper()
	cmd := exec.Command(bin, "run", "--config", cfg)
	cmd.Env = append(os.Environ(), "NHI_FINGERPRINT_KEY=agent-test-organisation-key")
	logs := &testlog.Buffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd, logs
}

func waitLog(t *testing.T, logs *testlog.Buffer, want string) {
	t.Helper()
	err := devservices.WaitFor(context.Background(), 60*time.Second, func() (bool, error) {
		return strings.Contains(logs.String(), want), nil
	})
	if err != nil {
		t.Fatalf("agent never logged %q:\n%s", want, logs)
	}
}

func deadBroker(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// TestRunSIGKILLRestartDeliversSpool runs `nhi-agent run` with its broker
// unreachable until it has spooled a scan and heartbeats, kills it with
// SIGKILL, and restarts it with the broker: every spooled event arrives.
// The second run then stops cleanly on SIGTERM.
func TestRunSIGKILLRestartDeliversSpool(t *testing.T) {
	broker := devservices.KafkaBroker(t)
	topic := devservices.UniqueName("nhi_agent_kill")
	b := build(t)
	dir, state := t.TempDir(), t.TempDir()

	cmd, logs := startAgent(t, b.agent, writeConfig(t, dir, deadBroker(t), topic, state, b))
	waitLog(t, logs, "plugin=credfiles full=true events=")
	waitLog(t, logs, "publish failed; events stay spooled")
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	sp, err := spool.Open(filepath.Join(state, "spool.db"), 1<<30, nil)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := sp.Peek(1<<20, 1<<30)
	sp.Close()
	if err != nil || len(entries) == 0 {
		t.Fatalf("spool after SIGKILL: %d entries, %v", len(entries), err)
	}
	want := map[string]bool{}
	types := map[event.Type]int{}
	for _, e := range entries {
		ev, err := event.Decode(e.Value)
		if err != nil {
			t.Fatal(err)
		}
		want[ev.EventID] = true
		types[ev.Type]++
	}
	if types[event.TypeNHIObserved] == 0 || types[event.TypeScanCompleted] == 0 || types[event.TypeAgentHeartbeat] == 0 {
		t.Fatalf("spool holds %v; want observations, scan_completed and heartbeats", types)
	}

	cmd, logs = startAgent(t, b.agent, writeConfig(t, dir, broker, topic, state, b))
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{broker}, Topic: topic, MaxWait: 200 * time.Millisecond})
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	got := map[string]int{}
	for n := 0; n < len(want); {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			t.Fatalf("%d of %d spooled events arrived: %v\n%s", n, len(want), err, logs)
		}
		ev, err := event.Decode(m.Value)
		if err != nil {
			t.Fatal(err)
		}
		if want[ev.EventID] {
			got[ev.EventID]++
			if got[ev.EventID] > 1 {
				t.Fatalf("event %s delivered twice", ev.EventID)
			}
			n++
		}
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("agent exit after SIGTERM: %v\n%s", err, logs)
	}
	if !strings.Contains(logs.String(), "agent stopped") {
		t.Fatalf("no clean stop logged:\n%s", logs)
	}
}

func TestConfigCheck(t *testing.T) {
	b := build(t)
	dir := t.TempDir()
	good := writeConfig(t, dir, "k:9092", "t", t.TempDir(), b)
	out, err := exec.Command(b.agent, "config", "check", good).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "ok (1 brokers, 1 plugins)") {
		t.Fatalf("good config: %v\n%s", err, out)
	}
	// A plugin whose binary changed after it was pinned.
	tampered := writeConfig(t, t.TempDir(), "k:9092", "t", t.TempDir(), binaries{plugin: b.plugin, pluginSum: strings.Repeat("ab", 32)})
	out, err = exec.Command(b.agent, "config", "check", tampered).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "the configuration pins abab") {
		t.Fatalf("tampered plugin: %v\n%s", err, out)
	}
	bad := filepath.Join(dir, "bad.yaml")
	_ = os.WriteFile(bad, []byte("brokers: [k:9092]\nspool:\n  max_byte: 10\n"), 0o600)
	out, err = exec.Command(b.agent, "config", "check", bad).CombinedOutput()
	if err == nil || !strings.Contains(string(out), bad+":3: spool.max_byte: unknown key") {
		t.Fatalf("bad config: %v\n%s", err, out)
	}
}
