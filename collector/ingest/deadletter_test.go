package ingest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/nhiradar/nhiradar/internal/devservices"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// createTopic creates topic with one partition and the given topic configs.
func createTopic(t *testing.T, broker, topic string, configs map[string]string) {
	t.Helper()
	tc := kafka.TopicConfig{Topic: topic, NumPartitions: 1, ReplicationFactor: 1}
	for k, v := range configs {
		tc.ConfigEntries = append(tc.ConfigEntries, kafka.ConfigEntry{ConfigName: k, ConfigValue: v})
	}
	client := &kafka.Client{Addr: kafka.TCP(broker), Timeout: 10 * time.Second}
	resp, err := client.CreateTopics(context.Background(), &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{tc}})
	if err != nil {
		t.Fatal(err)
	}
	if err := resp.Errors[topic]; err != nil {
		t.Fatalf("create topic %s: %v", topic, err)
	}
}

// produceBig writes values with a producer that allows large messages.
func produceBig(t *testing.T, broker, topic string, values ...[]byte) {
	t.Helper()
	w := &kafka.Writer{Addr: kafka.TCP(broker), Topic: topic, RequiredAcks: kafka.RequireAll,
		BatchTimeout: 5 * time.Millisecond, BatchBytes: 8 << 20}
	defer w.Close()
	for _, v := range values { // one at a time: the order is the test's
		if err := w.WriteMessages(context.Background(), kafka.Message{Key: []byte("web-01"), Value: v}); err != nil {
			t.Fatal(err)
		}
	}
}

// committedOffset is the group's committed offset of partition 0.
func committedOffset(t *testing.T, broker, group, topic string) int64 {
	t.Helper()
	client := &kafka.Client{Addr: kafka.TCP(broker), Timeout: 10 * time.Second}
	resp, err := client.OffsetFetch(context.Background(), &kafka.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{topic: {0}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range resp.Topics[topic] {
		if p.Partition == 0 {
			return p.CommittedOffset
		}
	}
	return -1
}

func bigInvalid() []byte {
	v := bytes.Repeat([]byte("x"), 2<<20) // 2 MiB, not JSON
	return v
}

// TestHugeInvalidMessageDoesNotWedge: a 2 MiB invalid message is followed by
// valid events; the events are stored, the dead letter holds an excerpt with
// the original size and digest, and the offsets are committed.
func TestHugeInvalidMessageDoesNotWedge(t *testing.T) {
	broker := devservices.KafkaBroker(t)
	topic := devservices.UniqueName("nhi_ingest_big")
	createTopic(t, broker, topic, map[string]string{"max.message.bytes": strconv.Itoa(8 << 20)})
	createTopic(t, broker, topic+".dlq", nil)
	big := bigInvalid()
	produceBig(t, broker, topic, big, validEvent(t, 1), validEvent(t, 2), validEvent(t, 3))

	st := &memStore{}
	cfg := Config{Brokers: []string{broker}, Topic: topic, GroupID: topic, BatchWait: 100 * time.Millisecond,
		RetryMax: 100 * time.Millisecond, DLQFile: filepath.Join(t.TempDir(), "dlq.jsonl")}
	c, stop := runConsumer(t, cfg, st)
	ctx := context.Background()
	if err := devservices.WaitFor(ctx, 60*time.Second, func() (bool, error) {
		return st.count() == 3 && c.Stats.Committed.Load() == 4, nil
	}); err != nil {
		t.Fatalf("stored %d, committed %d: %v", st.count(), c.Stats.Committed.Load(), err)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if got := committedOffset(t, broker, topic, topic); got != 4 {
		t.Fatalf("committed offset = %d, want 4", got)
	}
	if c.Stats.DeadLettersLost.Load() != 0 {
		t.Fatal("the dead letter went to the local file, not the topic")
	}

	r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{broker}, Topic: topic + ".dlq", Partition: 0, MaxBytes: 4 << 20})
	defer r.Close()
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	m, err := r.ReadMessage(rctx)
	if err != nil {
		t.Fatalf("reading the dead-letter topic: %v", err)
	}
	h := map[string]string{}
	for _, x := range m.Headers {
		h[x.Key] = string(x.Value)
	}
	sum := sha256.Sum256(big)
	if len(m.Value) != defaultExcerptBytes || !bytes.Equal(m.Value, big[:defaultExcerptBytes]) {
		t.Fatalf("dead letter value is %d bytes, want the first %d of the payload", len(m.Value), defaultExcerptBytes)
	}
	if h[HeaderSize] != strconv.Itoa(len(big)) || h[HeaderSHA256] != hex.EncodeToString(sum[:]) || h[HeaderTruncated] != "true" || h[HeaderOffset] != "0" {
		t.Fatalf("dead letter headers = %v", h)
	}
}

// TestUnwritableDeadLetterGoesToFile: the dead-letter topic refuses every
// dead letter (its max.message.bytes is tiny); the dead letter goes to the
// local file and the stream moves on.
func TestUnwritableDeadLetterGoesToFile(t *testing.T) {
	broker := devservices.KafkaBroker(t)
	topic := devservices.UniqueName("nhi_ingest_dlqfull")
	createTopic(t, broker, topic, map[string]string{"max.message.bytes": strconv.Itoa(8 << 20)})
	createTopic(t, broker, topic+".dlq", map[string]string{"max.message.bytes": "1024"})
	big := bigInvalid()
	produceBig(t, broker, topic, big, validEvent(t, 1), []byte("not json"), validEvent(t, 2))

	st := &memStore{}
	file := filepath.Join(t.TempDir(), "dlq.jsonl")
	cfg := Config{Brokers: []string{broker}, Topic: topic, GroupID: topic, BatchWait: 100 * time.Millisecond,
		RetryMax: 100 * time.Millisecond, DLQAttempts: 2, DLQFile: file}
	c, stop := runConsumer(t, cfg, st)
	ctx := context.Background()
	if err := devservices.WaitFor(ctx, 90*time.Second, func() (bool, error) {
		return st.count() == 2 && c.Stats.Committed.Load() == 4, nil
	}); err != nil {
		t.Fatalf("stored %d, committed %d: %v", st.count(), c.Stats.Committed.Load(), err)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if got := committedOffset(t, broker, topic, topic); got != 4 {
		t.Fatalf("committed offset = %d, want 4", got)
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatalf("no local dead-letter file: %v", err)
	}
	defer f.Close()
	var recs []deadRecord
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r deadRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}
	if len(recs) != 2 || c.Stats.DeadLettersLost.Load() != 2 {
		t.Fatalf("local file has %d dead letters, lost counter %d; want 2", len(recs), c.Stats.DeadLettersLost.Load())
	}
	sum := sha256.Sum256(big)
	r0 := recs[0]
	if r0.Offset != 0 || r0.Topic != topic || r0.Size != len(big) || r0.SHA256 != hex.EncodeToString(sum[:]) ||
		len(r0.Excerpt) != defaultExcerptBytes || !r0.Truncated || r0.TopicError == "" {
		t.Fatalf("first record = offset %d topic %s size %d excerpt %d truncated %v err %q",
			r0.Offset, r0.Topic, r0.Size, len(r0.Excerpt), r0.Truncated, r0.TopicError)
	}
	if recs[1].Offset != 2 || string(recs[1].Excerpt) != "not json" || recs[1].Truncated {
		t.Fatalf("second record = %+v", recs[1])
	}
}

// TestDeadFileRotates: the local file never grows past its bound: it is
// rotated to .1.
func TestDeadFileRotates(t *testing.T) {
	file := filepath.Join(t.TempDir(), "dlq.jsonl")
	c := &Consumer{cfg: Config{DLQFile: file, DLQFileMaxBytes: 4096}, log: discardLog()}
	d := newDeadLetter(kafka.Message{Topic: "t", Value: bytes.Repeat([]byte("y"), 1000)}, "bad", 1000)
	for i := 0; i < 20; i++ {
		c.deadLettersLost([]deadLetter{d}, os.ErrDeadlineExceeded)
	}
	for _, p := range []string{file, file + ".1"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() > 4096 || fi.Size() == 0 {
			t.Fatalf("%s is %d bytes, bound 4096", p, fi.Size())
		}
	}
}

// batchStore records the size of every insert.
type batchStore struct {
	mu    sync.Mutex
	sizes []int
}

func (s *batchStore) InsertEvents(_ context.Context, events []*event.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sizes = append(s.sizes, len(events))
	return nil
}

func (s *batchStore) total() (n int, sizes []int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range s.sizes {
		n += x
	}
	return n, append([]int(nil), s.sizes...)
}

// TestBatchBoundedByBytes: with BatchBytes of about two events, no batch
// holds more than two however many rows are allowed.
func TestBatchBoundedByBytes(t *testing.T) {
	broker, topic := setup(t)
	var values [][]byte
	for i := 0; i < 12; i++ {
		values = append(values, validEvent(t, i))
	}
	produceBig(t, broker, topic, values...)
	st := &batchStore{}
	one := len(values[0])
	cfg := Config{Brokers: []string{broker}, Topic: topic, GroupID: topic, BatchWait: 3 * time.Second,
		BatchRows: 1000, BatchBytes: 2*one - 1}
	_, stop := runConsumer(t, cfg, st)
	if err := devservices.WaitFor(context.Background(), 60*time.Second, func() (bool, error) { n, _ := st.total(); return n == 12, nil }); err != nil {
		t.Fatal(err)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	_, sizes := st.total()
	for _, n := range sizes {
		if n > 2 {
			t.Fatalf("batch sizes %v: one holds more than BatchBytes allows", sizes)
		}
	}
}

// TestProgressReportsStall: while the store fails, fetched messages stay
// uncommitted and Progress reports the stall after StallAfter; an idle
// consumer is not stalled.
func TestProgressReportsStall(t *testing.T) {
	broker, topic := setup(t)
	failing := &memStore{}
	failing.failFirst.Store(1 << 20)
	cfg := Config{Brokers: []string{broker}, Topic: topic, GroupID: topic, BatchWait: 50 * time.Millisecond,
		RetryMax: 50 * time.Millisecond, ShutdownGrace: 100 * time.Millisecond, StallAfter: 500 * time.Millisecond}
	c, stop := runConsumer(t, cfg, failing)
	defer stop()
	time.Sleep(time.Second)
	if err := c.Progress(context.Background()); err != nil {
		t.Fatalf("idle consumer reported stalled: %v", err)
	}
	produce(t, broker, topic, validEvent(t, 1))
	err := devservices.WaitFor(context.Background(), 30*time.Second, func() (bool, error) {
		err := c.Progress(context.Background())
		return err != nil && strings.Contains(err.Error(), "stalled"), err
	})
	if err != nil {
		t.Fatalf("a consumer whose store fails never reported a stall: %v", err)
	}
}

func discardLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
