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
