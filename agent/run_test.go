package agent

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/nhiradar/nhiradar/agent/config"
	"github.com/nhiradar/nhiradar/agent/pluginhost"
	"github.com/nhiradar/nhiradar/internal/devservices"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

func buildPlugin(t *testing.T, dir, name, pkg string) (path, sum string) {
	t.Helper()
	path = filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-o", path, pkg)
	cmd.Dir = devservices.RepoRoot()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", pkg, err, out)
	}
	sum, err := pluginhost.FileSHA256(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, sum
}

// TestRunScansSpoolsAndPublishes runs the whole agent against the real
// broker with the real credfiles plugin next to three bad plugins: one that
// panics, one that hangs and one that allocates without bound. credfiles'
// events and its scan_completed reach Kafka, and heartbeats report each bad
// plugin killed for its reason and restarted.
func TestRunScansSpoolsAndPublishes(t *testing.T) {
	broker := devservices.KafkaBroker(t)
	topic := devservices.UniqueName("nhi_agent_run")
	bin := t.TempDir()
	credPath, credSum := buildPlugin(t, bin, "nhi-plugin-credfiles", "./cmd/nhi-plugin-credfiles")
	testPath, testSum := buildPlugin(t, bin, "testplugin", "./agent/pluginhost/testplugin")
	root, _ := filepath.Abs("../cmd/e2e/testdata/host")
	t.Setenv("NHI_TEST_RUN_KEY", "run-test-organisation-key-01")
	yaml := fmt.Sprintf(`brokers: [%s]
topic: %s
state_dir: %s
root: %s
fingerprint_key: {env: NHI_TEST_RUN_KEY}
heartbeat_interval: 1s
limits: {plugin_memory_bytes: 67108864}
plugins:
  - name: credfiles
    path: %s
    sha256: %s
    interval: 1s
    full_interval: 1h
  - name: crasher
    path: %s
    sha256: %s
    interval: 1s
    options: {mode: panic}
  - name: hanger
    path: %[7]s
    sha256: %[8]s
    interval: 1s
    timeout: 2s
    options: {mode: hang}
  - name: hog
    path: %[7]s
    sha256: %[8]s
    interval: 1s
    options: {mode: hog}
`, broker, topic, t.TempDir(), root, credPath, credSum, testPath, testSum)
	cfg, err := config.Parse([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg, "test", slog.New(slog.NewTextHandler(os.Stderr, nil))) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()

	r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{broker}, Topic: topic, MaxWait: 200 * time.Millisecond})
	defer r.Close()
	rctx, rcancel := context.WithTimeout(ctx, 90*time.Second)
	defer rcancel()
	var observed, completed int
	want := map[string]string{"crasher": pluginhost.ReasonCrash, "hanger": pluginhost.ReasonTimeout, "hog": pluginhost.ReasonMemory}
	contained := map[string]bool{}
	for observed == 0 || completed == 0 || len(contained) < len(want) {
		m, err := r.ReadMessage(rctx)
		if err != nil {
			t.Fatalf("observed %d, completed %d, contained and restarted %v: %v", observed, completed, contained, err)
		}
		e, err := event.Decode(m.Value)
		if err != nil {
			t.Fatalf("invalid event on the topic: %v", err)
		}
		if string(m.Key) != e.Host || strings.Contains(string(m.Value), "h8Jq3ZrVb0Wm5Ty2Lx9Nc4Pd7Ks1Ga6Fe0Ui3Ro8") {
			t.Fatalf("bad key %q or raw secret in %s", m.Key, m.Value)
		}
		switch {
		case e.Type == event.TypeNHIObserved && e.Plugin == "credfiles":
			observed++
		case e.Type == event.TypeScanCompleted && e.Plugin == "credfiles":
			completed++
		case e.Type == event.TypeScanCompleted && want[e.Plugin] != "":
			t.Fatalf("the killed scan of %s was closed with scan_completed", e.Plugin)
		case e.Type == event.TypeAgentHeartbeat:
			if e.Heartbeat.Budget == nil {
				t.Fatal("heartbeat without the self-limits' budget status")
			}
			for _, p := range e.Heartbeat.Plugins {
				if reason := want[p.Name]; reason != "" && p.LimitReached == reason && p.Restarts >= 1 {
					contained[p.Name] = true
				}
			}
		}
	}
}
