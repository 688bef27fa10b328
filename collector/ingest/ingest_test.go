package ingest

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/nhiradar/nhiradar/internal/devservices"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// memStore records stored events; failFirst makes the first inserts fail.
type memStore struct {
	mu        sync.Mutex
	events    []*event.Event
	failFirst atomic.Int32
	calls     atomic.Int32
}

func (s *memStore) InsertEvents(_ context.Context, events []*event.Event) error {
	s.calls.Add(1)
	if s.failFirst.Add(-1) >= 0 {
		return errors.New("store is down")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, events...)
	return nil
}

func (s *memStore) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.events)
}

func produce(t *testing.T, broker, topic string, values ...[]byte) {
	t.Helper()
	w := &kafka.Writer{Addr: kafka.TCP(broker), Topic: topic, RequiredAcks: kafka.RequireAll, BatchTimeout: 5 * time.Millisecond}
	defer w.Close()
	msgs := make([]kafka.Message, len(values))
	for i, v := range values {
		msgs[i] = kafka.Message{Key: []byte("web-01"), Value: v}
	}
	if err := w.WriteMessages(context.Background(), msgs...); err != nil {
		t.Fatal(err)
	}
}

func validEvent(t *testing.T, i int) []byte {
	e := &event.Event{Type: event.TypeNHIObserved, Plugin: "credfiles", Kind: event.KindOSServiceAccount,
		Principal: "svc" + strconv.Itoa(i), Location: "/etc/passwd"}
	e.Complete("agent-1", "web-01", time.Now())
	b, err := event.Encode(e)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func setup(t *testing.T) (broker, topic string) {
	broker = devservices.KafkaBroker(t)
	topic = devservices.UniqueName("nhi_ingest")
	if err := EnsureTopics(context.Background(), []string{broker}, 2, 1, topic, topic+".dlq"); err != nil {
		t.Fatal(err)
	}
	return broker, topic
}

func runConsumer(t *testing.T, cfg Config, st Store) (*Consumer, func() error) {
	t.Helper()
	c, err := New(cfg, st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	return c, func() error {
		cancel()
		err := <-done
		c.Close()
		return err
	}
}

func TestValidStoredInvalidDeadLettered(t *testing.T) {
	broker, topic := setup(t)
	values := [][]byte{validEvent(t, 1), []byte("not json at all"), validEvent(t, 2),
		[]byte(`{"schema_version":99}`), validEvent(t, 3)}
	produce(t, broker, topic, values...)
	st := &memStore{}
	c, stop := runConsumer(t, Config{Brokers: []string{broker}, Topic: topic, GroupID: topic, BatchWait: 100 * time.Millisecond}, st)
	ctx := context.Background()
	if err := devservices.WaitFor(ctx, 30*time.Second, func() (bool, error) { return st.count() == 3 && c.Stats.DeadLetters.Load() == 2, nil }); err != nil {
		t.Fatalf("stored %d, dead letters %d: %v", st.count(), c.Stats.DeadLetters.Load(), err)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{broker}, Topic: topic + ".dlq", GroupID: topic + "-dlq-reader", StartOffset: kafka.FirstOffset})
	defer r.Close()
	rctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	reasons := map[string]string{}
	for len(reasons) < 2 {
		m, err := r.ReadMessage(rctx)
		if err != nil {
			t.Fatalf("reading the dead-letter topic: %v", err)
		}
		h := map[string]string{}
		for _, x := range m.Headers {
			h[x.Key] = string(x.Value)
		}
		if h[HeaderTopic] != topic || h[HeaderOffset] == "" || h[HeaderPartition] == "" {
			t.Fatalf("dead letter without its origin: %v", h)
		}
		reasons[string(m.Value)] = h[HeaderReason]
	}
	if !strings.Contains(reasons["not json at all"], "decode") || !strings.Contains(reasons[`{"schema_version":99}`], "schema_version") {
		t.Fatalf("dead-letter reasons = %v", reasons)
	}
}

// TestCommitOnlyAfterStore: while the store fails, nothing is committed; a
// second consumer in the same group started after the first stops must be
// handed the same messages again.
func TestCommitOnlyAfterStore(t *testing.T) {
	broker, topic := setup(t)
	produce(t, broker, topic, validEvent(t, 1), validEvent(t, 2))
	failing := &memStore{}
	failing.failFirst.Store(1 << 20)
	cfg := Config{Brokers: []string{broker}, Topic: topic, GroupID: topic, BatchWait: 50 * time.Millisecond,
		RetryMax: 50 * time.Millisecond, ShutdownGrace: 200 * time.Millisecond}
	_, stop := runConsumer(t, cfg, failing)
	ctx := context.Background()
	if err := devservices.WaitFor(ctx, 30*time.Second, func() (bool, error) { return failing.calls.Load() >= 3, nil }); err != nil {
		t.Fatal(err)
	}
	// The store never recovered, so the shutdown flush must fail and say so.
	if err := stop(); err == nil || !strings.Contains(err.Error(), "re-delivered") {
		t.Fatalf("shutdown with an unstored batch = %v, want an error saying it will be re-delivered", err)
	}
	if failing.count() != 0 {
		t.Fatal("the failing store stored something")
	}

	good := &memStore{}
	_, stop2 := runConsumer(t, cfg, good)
	if err := devservices.WaitFor(ctx, 30*time.Second, func() (bool, error) { return good.count() == 2, nil }); err != nil {
		t.Fatalf("after the store failed, the messages were not re-delivered: stored %d", good.count())
	}
	if err := stop2(); err != nil {
		t.Fatal(err)
	}
}
