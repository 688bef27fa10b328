package main

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/nhiradar/nhiradar/collector/ingest"
	"github.com/nhiradar/nhiradar/internal/devservices"
)

// TestFaultsIntegration stops and starts a private Kafka broker and
// ClickHouse server under a running collector, and kills the collector
// itself, counting events produced against rows stored.
func TestFaultsIntegration(t *testing.T) {
	in := devservices.Private(t)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()

	t.Run("SIGKILL mid-batch, restart", func(t *testing.T) {
		h := newHarness(t, in.KafkaBroker, in.ClickHouseAddr, 3)
		h.produce(ctx, 20000, 0)
		p := h.start()
		if err := devservices.WaitFor(ctx, time.Minute, func() (bool, error) {
			n, err := h.query(ctx, "SELECT count() FROM DB.events")
			return n > 0, err
		}); err != nil {
			t.Fatalf("nothing stored before the kill: %v", err)
		}
		p.kill()
		stored, _ := h.query(ctx, "SELECT uniqExact(event_id) FROM DB.events")
		if stored >= uint64(h.count()) {
			t.Fatalf("the collector had stored everything (%d) before the kill; the test proves nothing", stored)
		}
		h.start()
		h.waitStored(ctx, 2*time.Minute)
	})

	t.Run("ClickHouse stopped 30s under load", func(t *testing.T) {
		h := newHarness(t, in.KafkaBroker, in.ClickHouseAddr, 3)
		p := h.start()
		stop := h.load(ctx, 200, 100*time.Millisecond)
		time.Sleep(3 * time.Second)
		in.Do(t, "down-clickhouse")
		if code, body := p.get("/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "clickhouse:") {
			t.Errorf("/readyz with ClickHouse down = %d %q, want 503 naming clickhouse", code, body)
		}
		time.Sleep(30 * time.Second)
		in.Do(t, "up-clickhouse")
		time.Sleep(2 * time.Second)
		stop()
		if p.exited() {
			t.Fatal("the collector exited while ClickHouse was down")
		}
		h.waitStored(ctx, 2*time.Minute)
		if code, body := p.get("/readyz"); code != http.StatusOK {
			t.Errorf("/readyz after ClickHouse came back = %d %q", code, body)
		}
		if n, err := p.metric("nhi_collector_errors_total"); err != nil || n == 0 {
			t.Fatalf("errors_total = %v (%v): the outage was never felt", n, err)
		}
		if err := devservices.WaitFor(ctx, 30*time.Second, func() (bool, error) {
			lag, err := p.metric("nhi_collector_consumer_lag")
			return lag == 0 && err == nil, err
		}); err != nil {
			t.Fatalf("consumer lag did not drain: %v", err)
		}
	})

	t.Run("Kafka restarted under load", func(t *testing.T) {
		h := newHarness(t, in.KafkaBroker, in.ClickHouseAddr, 3)
		p := h.start()
		stop := h.load(ctx, 200, 100*time.Millisecond)
		time.Sleep(3 * time.Second)
		in.Do(t, "down-kafka")
		time.Sleep(5 * time.Second)
		in.Do(t, "up-kafka")
		time.Sleep(3 * time.Second)
		stop()
		before := h.count()
		h.produce(ctx, 500, 0) // produced after the restart: proves the reconnect
		if h.count() <= before {
			t.Fatal("nothing produced after the restart")
		}
		if p.exited() {
			t.Fatalf("the collector exited when Kafka restarted:\n%s", p.log.String())
		}
		h.waitStored(ctx, 2*time.Minute)
	})
}

// TestMalformedToDeadLetters: 1% malformed messages in a stream all land in
// the dead-letter topic with their reasons; every valid one is stored.
func TestMalformedToDeadLetters(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	h := newHarness(t, devservices.KafkaBroker(t), devservices.ClickHouseAddr(t), 3)
	bad := h.produce(ctx, 10000, 100)
	p := h.start()
	h.waitStored(ctx, 2*time.Minute)
	if bad != 100 {
		t.Fatalf("produced %d malformed, want 100", bad)
	}
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{h.broker}, Topic: h.topic + ".dlq", GroupID: h.topic + "-dlq",
		StartOffset: kafka.FirstOffset, MaxWait: 200 * time.Millisecond})
	defer r.Close()
	reasons := map[string]int{}
	for i := 0; i < bad; i++ {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			t.Fatalf("dead letter %d of %d: %v", i+1, bad, err)
		}
		var reason, offset string
		for _, x := range m.Headers {
			switch x.Key {
			case ingest.HeaderReason:
				reason = string(x.Value)
			case ingest.HeaderOffset:
				offset = string(x.Value)
			}
		}
		if reason == "" || offset == "" {
			t.Fatalf("dead letter %q lacks its reason or offset", m.Value)
		}
		reasons[strings.SplitN(reason, ":", 3)[1]]++
	}
	if len(reasons) < 4 {
		t.Fatalf("dead-letter reasons %v: want decode, schema_version, agent_id, type and heartbeat failures", reasons)
	}
	if n, err := p.metric("nhi_collector_dead_letters_total"); err != nil || n != float64(bad) {
		t.Fatalf("dead_letters_total = %v (%v), want %d", n, err, bad)
	}
}

// TestGroupOfThree: three collectors share a six-partition topic; one leaves
// mid-stream, the others take over its partitions, nothing is lost.
func TestGroupOfThree(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	h := newHarness(t, devservices.KafkaBroker(t), devservices.ClickHouseAddr(t), 6)
	ps := []*proc{h.start(), h.start(), h.start()}
	stop := h.load(ctx, 300, 100*time.Millisecond)
	if err := devservices.WaitFor(ctx, time.Minute, func() (bool, error) {
		for _, p := range ps {
			if n, err := p.metric("nhi_collector_rows_written_total"); err != nil || n == 0 {
				return false, err
			}
		}
		return true, nil
	}); err != nil {
		t.Fatalf("not every collector got partitions: %v", err)
	}
	ps[0].stop(t)
	// Graceful shutdown stores and commits everything it fetched.
	m := regexp.MustCompile(`collector stopped" messages=(\d+) stored=(\d+) dead_letters=(\d+)`).FindStringSubmatch(ps[0].log.String())
	if m == nil || m[1] == "0" || m[1] != m[2] {
		t.Fatalf("after SIGTERM the collector did not store all it fetched: %q", m)
	}
	time.Sleep(3 * time.Second)
	stop()
	h.produce(ctx, 3000, 0)
	h.waitStored(ctx, 2*time.Minute)
	for _, p := range ps[1:] {
		if p.exited() {
			t.Fatalf("a remaining collector exited:\n%s", p.log.String())
		}
	}
}
