// Package publish sends encoded events to Kafka with a kafka-go Writer: all
// in-sync replicas acknowledge every batch, and messages are keyed by host so
// that one host's events stay in order within a partition.
package publish

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/compress"
	"github.com/segmentio/kafka-go/sasl"

	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// Config says where and how to publish. Its zero value, plus Brokers and
// Topic, works.
type Config struct {
	Brokers      []string
	Topic        string
	BatchSize    int
	BatchTimeout time.Duration
	WriteTimeout time.Duration
	Compression  compress.Compression
	TLS          *tls.Config
	SASL         sasl.Mechanism
	// MaxAttempts is how often the writer tries a batch before it returns
	// an error (default 10).
	MaxAttempts int
}

// Publisher writes events to one topic.
type Publisher struct {
	w *kafka.Writer
}

// Message is one Kafka message as the spool holds it.
type Message struct {
	Key, Value []byte
}

// New returns a Publisher for cfg.
func New(cfg Config) (*Publisher, error) {
	if len(cfg.Brokers) == 0 {
		return nil, fmt.Errorf("publish: no brokers configured")
	}
	if cfg.Topic == "" {
		return nil, fmt.Errorf("publish: no topic configured")
	}
	return &Publisher{w: newWriter(cfg)}, nil
}

func newWriter(cfg Config) *kafka.Writer {
	return &kafka.Writer{
		Addr:         kafka.TCP(cfg.Brokers...),
		Topic:        cfg.Topic,
		Balancer:     &kafka.Hash{},
		RequiredAcks: kafka.RequireAll,
		BatchSize:    orInt(cfg.BatchSize, 500),
		BatchTimeout: orDuration(cfg.BatchTimeout, 50*time.Millisecond),
		WriteTimeout: orDuration(cfg.WriteTimeout, 10*time.Second),
		Compression:  cfg.Compression,
		MaxAttempts:  orInt(cfg.MaxAttempts, 10),
		// Where the cluster allows it, the first agent of a fresh setup creates
		// the topic; the collector creates it with its partitions otherwise.
		AllowAutoTopicCreation: true,
		Transport: &kafka.Transport{TLS: cfg.TLS, SASL: cfg.SASL, DialTimeout: 5 * time.Second, ClientID: "nhi-agent",
			// Without a topic list the transport fetches the metadata of every
			// topic in the cluster every few seconds: on a shared cluster that is
			// megabytes of garbage per refresh, on every host.
			MetadataTopics: []string{cfg.Topic}},
	}
}

// Publish encodes and sends events and returns once Kafka acknowledged all of
// them. An event that does not encode is an error before anything is sent.
func (p *Publisher) Publish(ctx context.Context, events []*event.Event) error {
	msgs := make([]kafka.Message, 0, len(events))
	for _, e := range events {
		b, err := event.Encode(e)
		if err != nil {
			return fmt.Errorf("publish: event %s: %w", e.EventID, err)
		}
		msgs = append(msgs, kafka.Message{Key: []byte(e.Host), Value: b, Headers: []kafka.Header{
			{Key: "type", Value: []byte(e.Type)},
			{Key: "schema_version", Value: []byte(fmt.Sprint(e.SchemaVersion))},
		}})
	}
	wait := 200 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := p.w.WriteMessages(ctx, msgs...)
		if err == nil {
			return nil
		}
		// A topic being created, a leader election: the broker says try again.
		// Re-sending a batch is safe, the collector de-duplicates on event id.
		if !temporary(err) || attempt >= 8 || ctx.Err() != nil {
			return fmt.Errorf("publish: write %d events to %s: %w", len(msgs), p.w.Topic, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("publish: write %d events to %s: %w", len(msgs), p.w.Topic, ctx.Err())
		case <-time.After(wait):
		}
		wait = min(2*wait, 5*time.Second)
	}
}

func temporary(err error) bool {
	var t interface{ Temporary() bool }
	if errors.As(err, &t) {
		return t.Temporary()
	}
	var we kafka.WriteErrors
	if errors.As(err, &we) {
		for _, e := range we {
			if e != nil && !temporary(e) {
				return false
			}
		}
		return true
	}
	return false
}

// Close flushes and closes the writer.
func (p *Publisher) Close() error { return p.w.Close() }

func orInt(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

func orDuration(v, def time.Duration) time.Duration {
	if v > 0 {
		return v
	}
	return def
}
