// Command kafkaready exits 0 once a Kafka broker accepts a topic creation and a
// produce to that topic with all replicas acknowledging; services.sh uses it as
// the broker's readiness probe, since an open port alone says little.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/segmentio/kafka-go"
)

func main() {
	broker := flag.String("broker", "127.0.0.1:19092", "broker address")
	topic := flag.String("topic", "_nhi_ready", "topic to create and produce to")
	timeout := flag.Duration("timeout", 5*time.Second, "give up after this long")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	if err := probe(ctx, *broker, *topic); err != nil {
		fmt.Fprintln(os.Stderr, "kafkaready:", err)
		os.Exit(1)
	}
}

func probe(ctx context.Context, broker, topic string) error {
	client := &kafka.Client{Addr: kafka.TCP(broker), Timeout: 5 * time.Second}
	resp, err := client.CreateTopics(ctx, &kafka.CreateTopicsRequest{
		Topics: []kafka.TopicConfig{{Topic: topic, NumPartitions: 1, ReplicationFactor: 1}},
	})
	if err != nil {
		return fmt.Errorf("create topic: %w", err)
	}
	if err := resp.Errors[topic]; err != nil && !errors.Is(err, kafka.TopicAlreadyExists) {
		return fmt.Errorf("create topic: %w", err)
	}
	w := &kafka.Writer{
		Addr:         kafka.TCP(broker),
		Topic:        topic,
		RequiredAcks: kafka.RequireAll,
		MaxAttempts:  1,
		Transport:    &kafka.Transport{Dial: (&net.Dialer{Timeout: 3 * time.Second}).DialContext},
	}
	defer w.Close()
	if err := w.WriteMessages(ctx, kafka.Message{Value: []byte("ready")}); err != nil {
		return fmt.Errorf("produce: %w", err)
	}
	return nil
}
