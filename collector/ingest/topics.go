package ingest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
)

// EnsureTopics creates the event and dead-letter topics when they do not
// exist yet, so that a fresh cluster works without a separate setup step.
// Existing topics are left as they are.
func EnsureTopics(ctx context.Context, brokers []string, partitions, replication int, topics ...string) error {
	if partitions <= 0 {
		partitions = 1
	}
	if replication <= 0 {
		replication = 1
	}
	client := &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 10 * time.Second}
	req := &kafka.CreateTopicsRequest{}
	for _, t := range topics {
		req.Topics = append(req.Topics, kafka.TopicConfig{Topic: t, NumPartitions: partitions, ReplicationFactor: replication})
	}
	resp, err := client.CreateTopics(ctx, req)
	if err != nil {
		return fmt.Errorf("ingest: create topics %v: %w", topics, err)
	}
	for t, err := range resp.Errors {
		if err != nil && !errors.Is(err, kafka.TopicAlreadyExists) {
			return fmt.Errorf("ingest: create topic %s: %w", t, err)
		}
	}
	return nil
}
