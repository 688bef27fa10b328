package publish

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/nhiradar/nhiradar/internal/devservices"
	"github.com/nhiradar/nhiradar/internal/spool"
)

// startDrainer drains a new spool into topic until the test ends.
func startDrainer(t *testing.T, broker, topic string, onDrained ...func()) (*spool.Spool, *Drainer) {
	t.Helper()
	sp, err := spool.Open(filepath.Join(t.TempDir(), "spool.db"), 64<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := &Drainer{Queue: sp, Config: Config{Brokers: []string{broker}, Topic: topic, MaxAttempts: 3},
		MaxBatch: 100, MaxBackoff: time.Second}
	if len(onDrained) > 0 {
		d.OnDrained = onDrained[0]
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("drainer: %v", err)
		}
		sp.Close()
	})
	return sp, d
}

func appendEvents(t *testing.T, sp *spool.Spool, from, to int) {
	t.Helper()
	for i := from; i <= to; i += 10 {
		var recs []spool.Record
		for j := i; j < i+10 && j <= to; j++ {
			key := fmt.Sprintf("host-%d", j%3)
			recs = append(recs, spool.Record{Key: []byte(key), Value: []byte(strconv.Itoa(j))})
		}
		if err := sp.Append(recs...); err != nil {
			t.Fatal(err)
		}
	}
}

// readAll reads every message of every partition of topic, waiting until
// want messages arrived.
func readAll(t *testing.T, broker, topic string, want int) []kafka.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var out []kafka.Message
	err := devservices.WaitFor(ctx, 90*time.Second, func() (bool, error) {
		out = out[:0]
		conn, err := kafka.DialContext(ctx, "tcp", broker)
		if err != nil {
			return false, err
		}
		defer conn.Close()
		parts, err := conn.ReadPartitions(topic)
		if err != nil {
			return false, err
		}
		for _, p := range parts {
			msgs, err := readPartition(ctx, broker, topic, p.ID)
			if err != nil {
				return false, err
			}
			out = append(out, msgs...)
		}
		return len(out) >= want, nil
	})
	if err != nil {
		t.Fatalf("reading %s: have %d messages, want %d: %v", topic, len(out), want, err)
	}
	return out
}

func readPartition(ctx context.Context, broker, topic string, part int) ([]kafka.Message, error) {
	c, err := kafka.DialLeader(ctx, "tcp", broker, topic, part)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	last, err := c.ReadLastOffset()
	if err != nil {
		return nil, err
	}
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{broker}, Topic: topic, Partition: part, MaxWait: 200 * time.Millisecond})
	defer r.Close()
	var out []kafka.Message
	for int64(len(out)) < last {
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		m, err := r.ReadMessage(rctx)
		cancel()
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// checkExactlyOnceInOrder fails unless msgs hold 1..n exactly once each and
// each key's values increase in Kafka order.
func checkExactlyOnceInOrder(t *testing.T, msgs []kafka.Message, n int) {
	t.Helper()
	seen := map[int]int{}
	lastByKey := map[string]int{}
	for _, m := range msgs {
		v, err := strconv.Atoi(string(m.Value))
		if err != nil {
			t.Fatalf("message %q: %v", m.Value, err)
		}
		seen[v]++
		if k := string(m.Key); v <= lastByKey[k] {
			t.Fatalf("key %s: %d after %d, out of order", k, v, lastByKey[k])
		}
		lastByKey[string(m.Key)] = v
	}
	var missing, dup []string
	for i := 1; i <= n; i++ {
		switch seen[i] {
		case 0:
			missing = append(missing, strconv.Itoa(i))
		case 1:
		default:
			dup = append(dup, strconv.Itoa(i))
		}
	}
	if len(missing)+len(dup) > 0 || len(msgs) != n {
		t.Fatalf("%d messages for %d events; missing %v; duplicated %v", len(msgs), n, head(missing), head(dup))
	}
}

func head(s []string) string {
	if len(s) > 20 {
		return strings.Join(s[:20], ",") + ",…"
	}
	return strings.Join(s, ",")
}

func TestDrainPublishesInOrderAndEmptiesSpool(t *testing.T) {
	broker := devservices.KafkaBroker(t)
	topic := devservices.UniqueName("nhi_agent_drain")
	drained := make(chan struct{}, 10)
	sp, d := startDrainer(t, broker, topic, func() { drained <- struct{}{} })
	appendEvents(t, sp, 1, 1000)
	checkExactlyOnceInOrder(t, readAll(t, broker, topic, 1000), 1000)
	ctx := context.Background()
	if err := devservices.WaitFor(ctx, 10*time.Second, func() (bool, error) { return sp.Stats().Depth == 0, nil }); err != nil {
		t.Fatalf("spool not emptied: %+v", sp.Stats())
	}
	select {
	case <-drained:
	case <-time.After(10 * time.Second):
		t.Fatal("OnDrained not called after messages were published and the spool emptied")
	}
	if s := d.Stats(); s.Published != 1000 {
		t.Fatalf("Stats = %+v", s)
	}
}

// TestDrainSurvivesBrokerRestart stops a private broker while events are
// being spooled and published, keeps spooling, starts it again and counts:
// every event arrives exactly once, in order per key.
func TestDrainSurvivesBrokerRestart(t *testing.T) {
	in := devservices.Private(t)
	topic := devservices.UniqueName("nhi_agent_restart")
	sp, d := startDrainer(t, in.KafkaBroker, topic)
	appendEvents(t, sp, 1, 500)
	readAll(t, in.KafkaBroker, topic, 500)

	before := d.Stats().Failures
	in.Do(t, "down-kafka")
	appendEvents(t, sp, 501, 1500)
	ctx := context.Background()
	if err := devservices.WaitFor(ctx, 30*time.Second, func() (bool, error) { return d.Stats().Failures > before, nil }); err != nil {
		t.Fatalf("no publish failure seen while the broker was down: %+v", d.Stats())
	}
	if st := sp.Stats(); st.Depth != 1000 {
		t.Fatalf("spool holds %d events while the broker is down, want 1000", st.Depth)
	}
	in.Do(t, "up-kafka")
	appendEvents(t, sp, 1501, 2000)

	checkExactlyOnceInOrder(t, readAll(t, in.KafkaBroker, topic, 2000), 2000)
	if err := devservices.WaitFor(ctx, 30*time.Second, func() (bool, error) { return sp.Stats().Depth == 0, nil }); err != nil {
		t.Fatalf("spool not emptied: %+v", sp.Stats())
	}
}
