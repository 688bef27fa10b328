package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/nhiradar/nhiradar/internal/devservices"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// TestScanAndRunPublishOneShape: `scan --output kafka` and `run` go through
// the same drainer, so the same scan reaches Kafka as the same messages:
// keyed by host, no headers, the wire encoding, the same observations.
func TestScanAndRunPublishOneShape(t *testing.T) {
	broker := devservices.KafkaBroker(t)
	scanTopic, runTopic := devservices.UniqueName("nhi_shape_scan"), devservices.UniqueName("nhi_shape_run")
	b := build(t)
	const host = "shape-host"

	cmd := exec.Command(b.agent, "scan", "--root", "../e2e/testdata/host", "--output", "kafka", "--brokers", broker,
		"--topic", scanTopic, "--plugins", "credfiles", "--host", host)
	cmd.Env = append(os.Environ(), "NHI_FINGERPRINT_KEY=agent-test-organisation-key")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("scan --output kafka: %v\n%s", err, stderr.String())
	}
	fromScan := readPublishedScan(t, broker, scanTopic)

	cfg := writeConfig(t, t.TempDir(), broker, runTopic, t.TempDir(), b)
	appendFile(t, cfg, "host: "+host+"\n")
	startAgent(t, b.agent, cfg)
	fromRun := readPublishedScan(t, broker, runTopic)

	if got, want := observations(t, fromRun), observations(t, fromScan); got != want {
		t.Errorf("run published\n%s\nscan published\n%s", got, want)
	}
	for name, msgs := range map[string][]kafka.Message{"scan": fromScan, "run": fromRun} {
		for _, m := range msgs {
			if string(m.Key) != host || len(m.Headers) != 0 {
				t.Errorf("%s: message keyed %q with headers %v; want key %q, no headers", name, m.Key, m.Headers, host)
			}
			e, err := event.Decode(m.Value)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if again, err := event.Encode(e); err != nil || !bytes.Equal(again, m.Value) {
				t.Errorf("%s: a message is not in the wire encoding (%v):\n%s\n%s", name, err, m.Value, again)
			}
		}
	}
}

// readPublishedScan reads topic up to and including the credfiles plugin's
// scan_completed.
func readPublishedScan(t *testing.T, broker, topic string) []kafka.Message {
	t.Helper()
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{broker}, Topic: topic, MaxWait: 200 * time.Millisecond})
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var out []kafka.Message
	for {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			t.Fatalf("%s: %d messages, no scan_completed: %v", topic, len(out), err)
		}
		e, err := event.Decode(m.Value)
		if err != nil {
			t.Fatalf("%s: %v", topic, err)
		}
		if e.Type == event.TypeAgentHeartbeat {
			continue // only the service sends them
		}
		out = append(out, m)
		if e.Type == event.TypeScanCompleted {
			return out
		}
	}
}

// observations lists what the messages observed, sorted, without what
// differs between two scans (ids, times).
func observations(t *testing.T, msgs []kafka.Message) string {
	t.Helper()
	var lines []string
	for _, m := range msgs {
		e, err := event.Decode(m.Value)
		if err != nil {
			t.Fatal(err)
		}
		if e.Type == event.TypeNHIObserved {
			lines = append(lines, strings.Join([]string{string(e.Kind), e.Location, e.Key, e.Principal, e.Fingerprint, e.NHIID, e.Host}, " "))
		}
	}
	sort.Strings(lines)
	if len(lines) == 0 {
		t.Fatal("no observations")
	}
	return strings.Join(lines, "\n")
}

func appendFile(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}
