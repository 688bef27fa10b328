// Package ingest is the collector's consumer loop: fetch from Kafka in a
// consumer group, decode and validate, batch by rows and by time, store the
// batch, send what is invalid to a dead-letter topic, and only then commit
// the offsets. A crash between store and commit re-delivers a batch, which
// the store's event-id key makes harmless: at least once in, exactly once in
// effect.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// Store is where valid events go.
type Store interface {
	InsertEvents(ctx context.Context, events []*event.Event) error
}

// Preparer is a Store that converts a batch into its own form ahead of the
// insert; the consumer prepares the next batch while the previous one is
// being stored.
type Preparer interface {
	Prepare(events []*event.Event) (Inserter, error)
}

// Inserter is a prepared batch; Insert may be called again after a failure.
type Inserter interface {
	Insert(ctx context.Context) error
}

// Config configures a Consumer. Zero values give the defaults noted.
type Config struct {
	Brokers []string
	Topic   string
	GroupID string // default "nhi-collector"
	// DLQTopic receives messages that fail validation (default Topic + ".dlq").
	DLQTopic  string
	BatchRows int           // default 50000
	BatchWait time.Duration // default 1s
	// RetryMax caps the wait between attempts to store a batch (default 10s).
	RetryMax time.Duration
	// ShutdownGrace bounds the final flush after Run's context ends (default 30s).
	ShutdownGrace time.Duration
	// SessionTimeout is how long the group waits for a silent member (a
	// SIGKILLed collector) before handing its partitions to the others
	// (default 10s; the broker's minimum is usually 6s).
	SessionTimeout time.Duration
	// Metrics, when set, receives the Prometheus series.
	Metrics *Metrics
}

// Stats are the consumer's counters since start.
type Stats struct {
	Messages    atomic.Int64
	Stored      atomic.Int64
	DeadLetters atomic.Int64
	Batches     atomic.Int64
	StoreErrors atomic.Int64
	FetchErrors atomic.Int64
}

// Consumer moves events from Kafka to the store.
type Consumer struct {
	cfg    Config
	store  Store
	reader *kafka.Reader
	dlq    *kafka.Writer
	log    *slog.Logger
	Stats  Stats
}

// New returns a Consumer; call Run to start it and Close when done.
func New(cfg Config, store Store, log *slog.Logger) (*Consumer, error) {
	if len(cfg.Brokers) == 0 || cfg.Topic == "" {
		return nil, errors.New("ingest: brokers and topic are required")
	}
	if cfg.GroupID == "" {
		cfg.GroupID = "nhi-collector"
	}
	if cfg.DLQTopic == "" {
		cfg.DLQTopic = cfg.Topic + ".dlq"
	}
	if cfg.BatchRows <= 0 {
		cfg.BatchRows = 50000
	}
	if cfg.BatchWait <= 0 {
		cfg.BatchWait = time.Second
	}
	if cfg.RetryMax <= 0 {
		cfg.RetryMax = 10 * time.Second
	}
	if cfg.ShutdownGrace <= 0 {
		cfg.ShutdownGrace = 30 * time.Second
	}
	if cfg.SessionTimeout <= 0 {
		cfg.SessionTimeout = 10 * time.Second
	}
	if log == nil {
		log = slog.Default()
	}
	r := kafka.NewReader(kafka.ReaderConfig{
		SessionTimeout:    cfg.SessionTimeout,
		RebalanceTimeout:  cfg.SessionTimeout,
		HeartbeatInterval: max(cfg.SessionTimeout/6, 500*time.Millisecond),
		ErrorLogger:       kafka.LoggerFunc(func(msg string, args ...any) { log.Warn("kafka: " + fmt.Sprintf(msg, args...)) }),
		Brokers:           cfg.Brokers,
		GroupID:           cfg.GroupID,
		Topic:             cfg.Topic,
		MinBytes:          1,
		MaxBytes:          16 << 20,
		MaxWait:           250 * time.Millisecond,
		StartOffset:       kafka.FirstOffset,
		CommitInterval:    0, // commit synchronously, after the store
		QueueCapacity:     1000,
	})
	w := &kafka.Writer{
		Addr:                   kafka.TCP(cfg.Brokers...),
		Topic:                  cfg.DLQTopic,
		RequiredAcks:           kafka.RequireAll,
		AllowAutoTopicCreation: true,
		BatchTimeout:           10 * time.Millisecond,
	}
	return &Consumer{cfg: cfg, store: store, reader: r, dlq: w, log: log}, nil
}

// Close releases the Kafka reader and writer.
func (c *Consumer) Close() error {
	return errors.Join(c.reader.Close(), c.dlq.Close())
}

// Lag returns the reader's lag as last reported by Kafka.
func (c *Consumer) Lag() int64 { return c.reader.Stats().Lag }

// Ready reports whether a Kafka broker answers a metadata request for the topic.
func (c *Consumer) Ready(ctx context.Context) error {
	client := &kafka.Client{Addr: kafka.TCP(c.cfg.Brokers...), Timeout: 3 * time.Second}
	resp, err := client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{c.cfg.Topic}})
	if err != nil {
		return fmt.Errorf("ingest: kafka metadata: %w", err)
	}
	for _, t := range resp.Topics {
		if t.Error != nil {
			return fmt.Errorf("ingest: topic %s: %w", t.Name, t.Error)
		}
	}
	return nil
}

// Run consumes until ctx is cancelled, then stores and commits what it has
// fetched before it returns. Fetching and decoding the next batch overlaps
// with storing the previous one; batches are stored and committed in order,
// one at a time, and at most one decoded batch waits: when ClickHouse is slow
// the fetch loop blocks (back-pressure) instead of buffering without bound.
func (c *Consumer) Run(ctx context.Context) error {
	// Flushes outlive ctx by ShutdownGrace so that the open batch is stored.
	flushCtx, cancelFlush := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelFlush()
	stopGrace := context.AfterFunc(ctx, func() { time.AfterFunc(c.cfg.ShutdownGrace, cancelFlush) })
	defer stopGrace()

	batches := make(chan *batch, 1)
	flushed := make(chan error, 1)
	go func() {
		var err error
		for b := range batches {
			if err == nil {
				err = c.flush(flushCtx, b)
			}
		}
		flushed <- err
	}()
	loopErr := c.fetchLoop(ctx, batches)
	close(batches)
	if err := <-flushed; err != nil {
		return fmt.Errorf("ingest: flush on shutdown (uncommitted messages will be re-delivered): %w", err)
	}
	return loopErr
}

// fetchLoop fetches batches until ctx ends, decodes them and hands them on.
// Kafka errors are never fatal: the reader reconnects by itself, so the loop
// logs, backs off and fetches again.
func (c *Consumer) fetchLoop(ctx context.Context, out chan<- *batch) error {
	wait := 100 * time.Millisecond
	for {
		t0 := time.Now()
		msgs, err := c.fetchBatch(ctx)
		if len(msgs) > 0 {
			t1 := time.Now()
			b := decodeBatch(msgs)
			if p, ok := c.store.(Preparer); ok {
				ins, err := p.Prepare(b.valid)
				if err != nil {
					return fmt.Errorf("ingest: prepare batch: %w", err)
				}
				b.prepared, b.stored, b.valid = ins, len(b.valid), nil // let the decoded events go
			}
			t2 := time.Now()
			out <- b
			c.log.Debug("batch fetched", "messages", len(msgs), "fetch", t1.Sub(t0), "decode", t2.Sub(t1), "wait_for_store", time.Since(t2))
		}
		if ctx.Err() != nil {
			return nil
		}
		if err == nil {
			wait = 100 * time.Millisecond
			continue
		}
		c.Stats.FetchErrors.Add(1)
		c.cfg.Metrics.failed("fetch")
		c.log.Warn("kafka fetch failed, retrying", "wait", wait, "err", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		wait = min(wait*2, c.cfg.RetryMax)
	}
}

// fetchBatch collects messages until BatchRows or BatchWait, or until ctx
// ends or Kafka fails; it returns what it has in every case.
func (c *Consumer) fetchBatch(ctx context.Context) ([]kafka.Message, error) {
	deadline := time.Now().Add(c.cfg.BatchWait)
	fctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	msgs := make([]kafka.Message, 0, min(c.cfg.BatchRows, 65536))
	for len(msgs) < c.cfg.BatchRows {
		m, err := c.reader.FetchMessage(fctx)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) {
				return msgs, nil
			}
			return msgs, fmt.Errorf("ingest: fetch: %w", err)
		}
		c.Stats.Messages.Add(1)
		msgs = append(msgs, m)
	}
	return msgs, nil
}

// flush stores the batch, dead-letters what is invalid, then commits.
func (c *Consumer) flush(ctx context.Context, b *batch) error {
	if b.empty() {
		return nil
	}
	start := time.Now()
	if err := c.retry(ctx, "store batch", func(ctx context.Context) error {
		if b.prepared != nil {
			return b.prepared.Insert(ctx)
		}
		return c.store.InsertEvents(ctx, b.valid)
	}); err != nil {
		return err
	}
	if err := c.retry(ctx, "write dead letters", func(ctx context.Context) error { return c.writeDead(ctx, b.dead) }); err != nil {
		return err
	}
	if err := c.retry(ctx, "commit offsets", func(ctx context.Context) error { return c.reader.CommitMessages(ctx, b.last()...) }); err != nil {
		return err
	}
	c.Stats.Stored.Add(int64(b.validRows()))
	c.Stats.DeadLetters.Add(int64(len(b.dead)))
	c.Stats.Batches.Add(1)
	c.cfg.Metrics.batchDone(b, time.Since(start))
	c.log.Debug("batch stored", "rows", b.validRows(), "dead_letters", len(b.dead), "duration", time.Since(start))
	return nil
}

// retry calls fn until it succeeds or ctx ends, backing off exponentially.
func (c *Consumer) retry(ctx context.Context, what string, fn func(context.Context) error) error {
	wait := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := fn(ctx)
		if err == nil {
			return nil
		}
		c.Stats.StoreErrors.Add(1)
		c.cfg.Metrics.failed(what)
		c.log.Warn("ingest step failed, retrying", "step", what, "attempt", attempt, "wait", wait, "err", err)
		select {
		case <-ctx.Done():
			return fmt.Errorf("ingest: %s: %w", what, err)
		case <-time.After(wait):
		}
		wait = min(wait*2, c.cfg.RetryMax)
	}
}

func (c *Consumer) writeDead(ctx context.Context, dead []deadLetter) error {
	if len(dead) == 0 {
		return nil
	}
	msgs := make([]kafka.Message, len(dead))
	for i, d := range dead {
		msgs[i] = d.message()
	}
	return c.dlq.WriteMessages(ctx, msgs...)
}
