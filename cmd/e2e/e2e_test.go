// Package e2e tests the built binaries together against the real Kafka broker
// and ClickHouse server: nhi-agent scans a planted host tree and publishes,
// nhi-collector stores, nhictl prints.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/nhiradar/nhiradar/collector/store"
	"github.com/nhiradar/nhiradar/collector/store/inventory"
	"github.com/nhiradar/nhiradar/internal/devservices"
)

// fixtureSecrets are the secret halves planted in testdata/host. None of them
// may appear anywhere downstream of the plugin that read them.
var fixtureSecrets = []string{
	"h8Jq3ZrVb0Wm5Ty2Lx9Nc4Pd7Ks1Ga6Fe0Ui3Ro8",
	"Qm9vT2pXc3R5VWh6N0FiY2RlZmdoaWprbG1ub3Bx",
	"Rk2xB7nL0pQ5sT8vW1yZ4aC7dF0gJ3mN6qS9uX2b",
	"IQoJb3JpZ2luX2VjEBAaCXVzLWVhc3QtMSJGMEQCIFakeSessionTokenForTests",
}

const fingerprintKey = "e2e-organisation-key-0001"

// totalEvents is what one scan of testdata/host produces.
const totalEvents = 12

func TestScanPublishCollectInventory(t *testing.T) {
	broker := devservices.KafkaBroker(t)
	chAddr := devservices.ClickHouseAddr(t)
	bin := buildBinaries(t)
	topic := devservices.UniqueName("nhi_e2e")
	db := devservices.UniqueName("nhi_e2e")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	env := append(os.Environ(), "NHI_FINGERPRINT_KEY="+fingerprintKey, "NHI_KAFKA_BROKERS="+broker,
		"NHI_CLICKHOUSE_ADDR="+chAddr, "NHI_CLICKHOUSE_DATABASE="+db, "NHI_KAFKA_TOPIC="+topic)

	// The collector creates its topics and schema, then waits for events.
	collector := exec.CommandContext(ctx, filepath.Join(bin, "nhi-collector"), "run", "--batch-wait", "200ms", "--group", topic)
	collector.Env = env
	var collectorLog bytes.Buffer
	collector.Stdout, collector.Stderr = &collectorLog, &collectorLog
	if err := collector.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = collector.Process.Signal(os.Interrupt)
		_ = collector.Wait()
		if t.Failed() {
			t.Logf("collector log:\n%s", collectorLog.String())
		}
	}()

	run(t, env, filepath.Join(bin, "nhi-agent"), "scan", "--root", "testdata/host", "--output", "kafka")

	st, err := store.Open(ctx, store.Config{Addr: []string{chAddr}, Database: db})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// 6 observations (4 AWS keys, one secret in two places; 2 service
	// accounts) and one scan_completed for each of the 6 file-based plugins.
	if err := devservices.WaitFor(ctx, time.Minute, func() (bool, error) {
		var n uint64
		err := st.Conn().QueryRow(ctx, "SELECT count() FROM "+db+".events").Scan(&n)
		return n >= totalEvents, err
	}); err != nil {
		t.Fatalf("events never arrived in ClickHouse: %v\ncollector log:\n%s", err, collectorLog.String())
	}

	// The inventory is fed by materialized views, which ClickHouse fills
	// after it writes the raw events of an insert.
	if err := devservices.WaitFor(ctx, time.Minute, func() (bool, error) {
		inv, err := inventory.New(st).Rows(ctx)
		return len(inv) >= 5, err
	}); err != nil {
		t.Fatalf("inventory never filled: %v", err)
	}
	assertEventCounts(t, ctx, st, db)
	assertInventory(t, ctx, st)
	assertNhictl(t, env, bin)
	assertNoSecretInKafka(t, ctx, broker, topic)
	assertNoSecretInClickHouse(t, chAddr, db)
}

func assertEventCounts(t *testing.T, ctx context.Context, st *store.Store, db string) {
	t.Helper()
	rows, err := st.Conn().Query(ctx, "SELECT type, count(), uniqExact(event_id) FROM "+db+".events GROUP BY type ORDER BY type")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[string][2]uint64{}
	for rows.Next() {
		var typ string
		var n, distinct uint64
		if err := rows.Scan(&typ, &n, &distinct); err != nil {
			t.Fatal(err)
		}
		got[typ] = [2]uint64{n, distinct}
	}
	want := map[string][2]uint64{"nhi_observed": {6, 6}, "scan_completed": {6, 6}}
	if len(got) != len(want) || got["nhi_observed"] != want["nhi_observed"] || got["scan_completed"] != want["scan_completed"] {
		t.Fatalf("events by type (rows, distinct ids) = %v, want %v", got, want)
	}
}

func assertInventory(t *testing.T, ctx context.Context, st *store.Store) {
	t.Helper()
	inv, err := inventory.New(st).Rows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		kind, principal, locations, accounts, hosts string
		fingerprinted                               bool
	}
	var got []row
	for _, r := range inv {
		got = append(got, row{r.Kind, r.Principal, strings.Join(r.Locations, ","), strings.Join(r.Accounts, ","), strings.Join(r.Hosts, ","), len(r.Fingerprint) == 64})
	}
	want := []row{
		{"aws_access_key", "AKIA2E4A7F3B244CQWXY", "/home/alice/.aws/credentials,/root/.aws/credentials", "alice,root", "web-01", true},
		{"aws_access_key", "AKIAZ7TQ4KXWM2RN5VHD", "/home/alice/.aws/credentials", "alice", "web-01", true},
		{"aws_session_token", "ASIAQ3HX7YB2ZP4KC6WN", "/var/lib/deploy/.aws/config", "deploy", "web-01", true},
		{"os_service_account", "daemon", "/etc/passwd", "daemon", "web-01", false},
		{"os_service_account", "deploy", "/etc/passwd", "deploy", "web-01", false},
	}
	if len(got) != len(want) {
		t.Fatalf("inventory has %d identities, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("inventory[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func assertNhictl(t *testing.T, env []string, bin string) {
	t.Helper()
	out := run(t, env, filepath.Join(bin, "nhictl"), "inventory", "--format", "jsonl")
	var principals []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var r struct{ Principal string }
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("nhictl line %q: %v", line, err)
		}
		principals = append(principals, r.Principal)
	}
	sort.Strings(principals)
	if want := "AKIA2E4A7F3B244CQWXY,AKIAZ7TQ4KXWM2RN5VHD,ASIAQ3HX7YB2ZP4KC6WN,daemon,deploy"; strings.Join(principals, ",") != want {
		t.Fatalf("nhictl inventory principals = %v, want %s", principals, want)
	}
	table := run(t, env, filepath.Join(bin, "nhictl"), "inventory")
	if !strings.Contains(table, "5 identities") || !strings.Contains(table, "/var/lib/deploy/.aws/config") {
		t.Fatalf("nhictl table output lacks the inventory:\n%s", table)
	}
}

func assertNoSecretInKafka(t *testing.T, ctx context.Context, broker, topic string) {
	t.Helper()
	// A group reader sees every partition, however many the topic has.
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{broker}, Topic: topic, GroupID: topic + "-readback",
		StartOffset: kafka.FirstOffset, MaxWait: 200 * time.Millisecond})
	defer r.Close()
	rctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	n := 0
	for n < totalEvents {
		m, err := r.ReadMessage(rctx)
		if err != nil {
			t.Fatalf("read back topic %s after %d messages: %v", topic, n, err)
		}
		n++
		for _, s := range fixtureSecrets {
			if bytes.Contains(m.Value, []byte(s)) || bytes.Contains(m.Key, []byte(s)) {
				t.Fatalf("Kafka message %d carries a fixture secret", m.Offset)
			}
		}
	}
}

func assertNoSecretInClickHouse(t *testing.T, chAddr, db string) {
	t.Helper()
	host, port, _ := strings.Cut(chAddr, ":")
	out, err := exec.Command("clickhouse-client", "--host", host, "--port", port, "-q",
		"SELECT * FROM "+db+".events FORMAT TabSeparated").CombinedOutput()
	if err != nil {
		t.Fatalf("clickhouse-client: %v\n%s", err, out)
	}
	if bytes.Count(out, []byte("\n")) != totalEvents {
		t.Fatalf("dumped %d rows, want %d", bytes.Count(out, []byte("\n")), totalEvents)
	}
	for _, s := range fixtureSecrets {
		if bytes.Contains(out, []byte(s)) {
			t.Fatal("a fixture secret is stored in ClickHouse")
		}
	}
}

func buildBinaries(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command("go", "build", "-o", dir+"/", "../nhi-agent", "../nhi-plugin-...", "../nhi-collector", "../nhictl")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return dir
}

func run(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", filepath.Base(name), args, err, stderr.String())
	}
	for _, s := range fixtureSecrets {
		if strings.Contains(stderr.String(), s) || strings.Contains(string(out), s) {
			t.Fatalf("%s printed a fixture secret", filepath.Base(name))
		}
	}
	return string(out)
}
