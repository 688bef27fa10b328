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
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// Store is where valid events go.
type Store interface {
	InsertEvents(ctx context.Context, events []*event.Event) error
}

// Preparer is a Store that converts a batch into its own form as it is
// decoded, so that the decoded events can go at once; the consumer prepares
// the next batch while the previous one is being stored. ctx bounds the
// batch's Insert too: the consumer passes one that outlives shutdown by the
// grace.
type Preparer interface {
	Prepare(ctx context.Context) Appender
}

// Appender is a batch being prepared: Add takes valid events (and may
// clear the slice), Insert stores them all and may be called again after a
// failure.
type Appender interface {
	Add(events []*event.Event)
	Inserter
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
	// BatchBytes ends a batch once its messages hold this many bytes (default
	// 32 MiB), so that large messages cannot make a batch of BatchRows huge.
	BatchBytes int
	// DLQExcerptBytes is how much of a refused payload its dead letter carries
	// (default 64 KiB); the headers give the original size and SHA-256.
	DLQExcerptBytes int
	// DLQAttempts bounds the attempts to write a batch's dead letters (default
	// 5); after them the dead letters go to DLQFile and the stream moves on.
	DLQAttempts int
	// DLQFile is the local file (JSON lines) of dead letters that could not
	// be written to the topic (default: nhi-collector-dlq.jsonl in the
	// temporary directory). When it reaches DLQFileMaxBytes (default 64 MiB)
	// it is rotated to DLQFile + ".1", replacing the previous one.
	DLQFile         string
	DLQFileMaxBytes int64
	// StallAfter is how long fetched messages may stay uncommitted, or a lag
	// stay unconsumed, before Progress reports the pipeline stalled (default 2m).
	StallAfter time.Duration
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
	// DeadLettersLost counts dead letters the topic refused; they went to the
	// local dead-letter file (or, if that failed too, only to the log).
	DeadLettersLost atomic.Int64
	Committed       atomic.Int64
}

// defaultExcerptBytes is the default DLQExcerptBytes.
const defaultExcerptBytes = 64 << 10

// Consumer moves events from Kafka to the store.
type Consumer struct {
	cfg    Config
	store  Store
	reader *kafka.Reader
	dlq    *kafka.Writer
	log    *slog.Logger
	Stats  Stats
	// pendingSince is when the oldest fetched, uncommitted message was
	// fetched (unix nanoseconds, 0: none); lastCommit is the last commit's
	// time, or the start.
	pendingSince atomic.Int64
	lastCommit   atomic.Int64
	dlqFileMu    sync.Mutex
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
	if cfg.BatchBytes <= 0 {
		cfg.BatchBytes = 32 << 20
	}
	if cfg.DLQExcerptBytes <= 0 {
		cfg.DLQExcerptBytes = defaultExcerptBytes
	}
	if cfg.DLQAttempts <= 0 {
		cfg.DLQAttempts = 5
	}
	if cfg.DLQFile == "" {
		cfg.DLQFile = filepath.Join(os.TempDir(), "nhi-collector-dlq.jsonl")
	}
	if cfg.DLQFileMaxBytes <= 0 {
		cfg.DLQFileMaxBytes = 64 << 20
	}
	if cfg.StallAfter <= 0 {
		cfg.StallAfter = 2 * time.Minute
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
		// A batch of excerpts fits, whatever the default 1 MiB would allow.
		BatchBytes:   int64(max(cfg.DLQExcerptBytes*4, 1<<20)),
		WriteTimeout: 10 * time.Second,
		MaxAttempts:  3,
	}
	c := &Consumer{cfg: cfg, store: store, reader: r, dlq: w, log: log}
	c.lastCommit.Store(time.Now().UnixNano())
	return c, nil
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

// Progress reports an error when the pipeline is stalled: messages were
// fetched but nothing has been committed for StallAfter, or Kafka reported a
// lag and nothing has been committed for StallAfter. It is a readiness check.
func (c *Consumer) Progress(context.Context) error {
	now := time.Now()
	if p := c.pendingSince.Load(); p != 0 {
		if d := now.Sub(time.Unix(0, p)); d > c.cfg.StallAfter {
			return fmt.Errorf("ingest: stalled: fetched messages uncommitted for %s (committed %d of %d)",
				d.Round(time.Second), c.Stats.Committed.Load(), c.Stats.Messages.Load())
		}
		return nil
	}
	if lag := c.reader.Stats().Lag; lag > 0 {
		if d := now.Sub(time.Unix(0, c.lastCommit.Load())); d > c.cfg.StallAfter {
			return fmt.Errorf("ingest: stalled: lag %d and no commit for %s", lag, d.Round(time.Second))
		}
	}
	return nil
}
