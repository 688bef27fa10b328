package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/nhiradar/nhiradar/collector/ingest"
	"github.com/nhiradar/nhiradar/collector/store"
	"github.com/nhiradar/nhiradar/collector/synth"
	"github.com/nhiradar/nhiradar/internal/devservices"
	"github.com/nhiradar/nhiradar/internal/testlog"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// collectorBinary builds nhi-collector once per test binary.
func collectorBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "nhi-collector-test")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "nhi-collector")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// harness runs collector processes against one topic and database.
type harness struct {
	t              *testing.T
	broker, chAddr string
	topic, db      string
	st             *store.Store

	mu       sync.Mutex
	produced map[string]bool // event ids acknowledged by Kafka
	nhiIDs   map[string]bool // identities among them
	fleet    *synth.Fleet
}

func newHarness(t *testing.T, broker, chAddr string, partitions int) *harness {
	t.Helper()
	h := &harness{t: t, broker: broker, chAddr: chAddr, topic: devservices.UniqueName("nhi_rel"),
		produced: map[string]bool{}, nhiIDs: map[string]bool{}, fleet: synth.NewFleet(uint64(time.Now().UnixNano()), 200, 3000)}
	h.db = h.topic
	ctx := context.Background()
	if err := ingest.EnsureTopics(ctx, []string{broker}, partitions, 1, h.topic, h.topic+".dlq"); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, store.Config{Addr: []string{chAddr}, Database: h.db})
	if err != nil {
		t.Fatal(err)
	}
	h.st = st
	t.Cleanup(func() {
		_ = st.Conn().Exec(context.Background(), "DROP DATABASE IF EXISTS "+h.db)
		st.Close()
	})
	return h
}

// proc is one running collector.
type proc struct {
	cmd    *exec.Cmd
	listen string
	log    *testlog.Buffer
	done   chan error
}

func (h *harness) start(extra ...string) *proc {
	h.t.Helper()
	listen := "127.0.0.1:" + strconv.Itoa(freePort(h.t))
	args := append([]string{"run", "--group", h.topic, "--batch-rows", "2000", "--batch-wait", "200ms",
		// Governance rounds only where a test asks for them (a later
		// --analyze-every wins): the ingest tests measure ingest.
		"--session-timeout", "6s", "--listen", listen, "--analyze-every", "0"}, extra...)
	cmd := exec.Command(collectorBinary(h.t), args...)
	cmd.Env = append(os.Environ(), "NHI_KAFKA_BROKERS="+h.broker, "NHI_CLICKHOUSE_ADDR="+h.chAddr,
		"NHI_CLICKHOUSE_DATABASE="+h.db, "NHI_KAFKA_TOPIC="+h.topic, "NHI_LOG_LEVEL=info")
	p := &proc{cmd: cmd, listen: listen, log: &testlog.Buffer{}, done: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = p.log, p.log
	if err := cmd.Start(); err != nil {
		h.t.Fatal(err)
	}
	go func() { p.done <- cmd.Wait() }()
	h.t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.done
		if h.t.Failed() {
			h.t.Logf("collector %s log:\n%s", listen, p.log.String())
		}
	})
	return p
}

func (p *proc) kill() { _ = p.cmd.Process.Signal(syscall.SIGKILL); <-p.done; p.done <- nil }
func (p *proc) exited() bool {
	select {
	case err := <-p.done:
		p.done <- err
		return true
	default:
		return false
	}
}

// stop sends SIGTERM and waits for a clean exit.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		p.done <- err
		if err != nil {
			t.Fatalf("collector exited with %v after SIGTERM:\n%s", err, p.log.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("collector did not stop on SIGTERM:\n%s", p.log.String())
	}
}

// get fetches an admin endpoint and returns its status and body.
func (p *proc) get(path string) (int, string) {
	resp, err := http.Get("http://" + p.listen + path)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// metric returns the sum of every sample of a metric family on /metrics.
func (p *proc) metric(name string) (float64, error) {
	resp, err := http.Get("http://" + p.listen + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var sum float64
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, name+" ") || strings.HasPrefix(line, name+"{") {
			f := strings.Fields(line)
			v, _ := strconv.ParseFloat(f[len(f)-1], 64)
			sum += v
		}
	}
	return sum, nil
}

// produce writes n synthetic events (one in every badEvery malformed when
// badEvery > 0), retrying a batch until Kafka acknowledges it.
func (h *harness) produce(ctx context.Context, n, badEvery int) (bad int) {
	w := &kafka.Writer{Addr: kafka.TCP(h.broker), Topic: h.topic, RequiredAcks: kafka.RequireAll,
		BatchTimeout: 5 * time.Millisecond, BatchSize: 500, MaxAttempts: 3, WriteTimeout: 5 * time.Second}
	defer w.Close()
	msgs := make([]kafka.Message, 0, n)
	var ids []*event.Event
	h.mu.Lock() // the fleet is not safe for concurrent use
	for i := 0; i < n; i++ {
		if badEvery > 0 && i%badEvery == badEvery-1 {
			msgs = append(msgs, kafka.Message{Value: malformed(i / badEvery)})
			bad++
			continue
		}
		e := h.fleet.Next()
		b, err := event.Encode(e)
		if err != nil {
			h.mu.Unlock()
			h.t.Error(err)
			return bad
		}
		ids = append(ids, e)
		msgs = append(msgs, kafka.Message{Key: []byte(e.Host), Value: b})
	}
	h.mu.Unlock()
	for ctx.Err() == nil {
		err := w.WriteMessages(ctx, msgs...)
		if err == nil {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, e := range ids {
		h.produced[e.EventID] = true
		if e.Type == event.TypeNHIObserved {
			h.nhiIDs[e.NHIID] = true
		}
	}
	return bad
}

// load produces batches in the background until the returned stop is called.
func (h *harness) load(ctx context.Context, batch int, every time.Duration) (stop func()) {
	lctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for lctx.Err() == nil {
			h.produce(ctx, batch, 0)
			select {
			case <-lctx.Done():
			case <-time.After(every):
			}
		}
	}()
	return func() { cancel(); <-done }
}

func (h *harness) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.produced)
}

func (h *harness) query(ctx context.Context, q string) (uint64, error) {
	var n uint64
	err := h.st.Conn().QueryRow(ctx, strings.ReplaceAll(q, "DB.", h.db+".")).Scan(&n)
	return n, err
}

// waitStored waits until ClickHouse holds every produced event, then checks
// that no duplicate is visible through FINAL or the inventory.
func (h *harness) waitStored(ctx context.Context, timeout time.Duration) {
	h.t.Helper()
	want := uint64(h.count())
	var got uint64
	err := devservices.WaitFor(ctx, timeout, func() (bool, error) {
		n, err := h.query(ctx, "SELECT uniqExact(event_id) FROM DB.events")
		got = n
		return n == want, err
	})
	if err != nil {
		h.t.Fatalf("ClickHouse holds %d distinct events, want %d: %v", got, want, err)
	}
	if n, err := h.query(ctx, "SELECT count() FROM DB.events FINAL"); err != nil || n != want {
		h.t.Fatalf("events FINAL = %d (%v), want %d", n, err, want)
	}
	// ClickHouse writes an INSERT to events before it pushes the block through
	// the materialized views, so the aggregates may trail the raw rows for
	// the length of one insert: wait for them rather than sample once.
	wantIDs := uint64(len(h.nhiIDs))
	var ids uint64
	err = devservices.WaitFor(ctx, 30*time.Second, func() (bool, error) {
		n, err := h.query(ctx, "SELECT count() FROM DB.nhi_inventory")
		ids = n
		return n == wantIDs, err
	})
	if err != nil || ids != wantIDs {
		h.t.Fatalf("nhi_inventory has %d identities, want %d: %v", ids, wantIDs, err)
	}
}

func malformed(i int) []byte {
	switch i % 5 {
	case 0:
		return []byte("this is not json " + strconv.Itoa(i))
	case 1:
		return []byte(`{"schema_version":99,"n":` + strconv.Itoa(i) + `}`)
	case 2:
		return []byte(`{"schema_version":1,"event_id":"` + fmt.Sprintf("%032x", i) + `","type":"nhi_observed"}`)
	case 3:
		return []byte(`{"schema_version":1,"event_id":"` + fmt.Sprintf("%032x", i) + `","type":"bogus","agent_id":"a","host":"h","time":"2026-01-01T00:00:00Z"}`)
	default:
		return []byte(`{"schema_version":1,"event_id":"` + fmt.Sprintf("%032x", i) + `","type":"agent_heartbeat","agent_id":"a","host":"h","time":"2026-01-01T00:00:00Z","heartbeat":{"version":"1","spool_depth":-5}}`)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
