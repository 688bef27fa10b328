// Package publish sends encoded events to Kafka with a kafka-go Writer: all
// in-sync replicas acknowledge every batch, and messages are keyed by host so
// that one host's events stay in order within a partition. There is one way
// to Kafka: a Drainer over a queue, the on-disk spool for `nhi-agent run`,
// an in-memory one for a one-shot scan (OneShot).
package publish

import (
	"crypto/tls"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/compress"
	"github.com/segmentio/kafka-go/sasl"

	"github.com/nhiradar/nhiradar/internal/spool"
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

// Record encodes an event as the spool holds it and Kafka receives it: the
// value is the wire encoding and the key the host, so that one host's
// events stay in order within a partition. Both the service and the one-shot
// scan spool through it; the Drainer sends records as they are.
func Record(e *event.Event) (spool.Record, error) {
	b, err := event.Encode(e)
	if err != nil {
		// Validation errors name the field, never its value.
		return spool.Record{}, fmt.Errorf("encode event %s: %w", e.EventID, err)
	}
	return spool.Record{Key: []byte(e.Host), Value: b}, nil
}

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
