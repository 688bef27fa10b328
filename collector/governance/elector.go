package governance

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/segmentio/kafka-go"
)

// Elector makes one member of a consumer group the analyser: the group
// consumes a single-partition topic, and the member Kafka assigns
// partition 0 leads. Kafka's group protocol is the lock: a member that
// stops heartbeating (killed, partitioned) is evicted after the session
// timeout and the partition goes to another; a member whose generation
// ends (rebalance, failed heartbeat) stops leading before it rejoins.
type Elector struct {
	Brokers []string
	// Topic has one partition (EnsureTopics with 1); its owner leads.
	Topic string
	// Group must not be the ingest group: its members consume other topics.
	Group          string
	SessionTimeout time.Duration // default 10s
	Log            *slog.Logger
	// OnLeader, when set, is told when this member starts and stops leading.
	OnLeader func(bool)
}

// Run calls lead each time this member becomes the analyser, with a
// context that ends when it stops being the analyser, until ctx ends.
func (e *Elector) Run(ctx context.Context, lead func(context.Context)) error {
	cg, err := kafka.NewConsumerGroup(e.config())
	if err != nil {
		return fmt.Errorf("analyser election %s: %w", e.Group, err)
	}
	defer cg.Close() // leaves the group: a clean stop hands over at once
	for {
		gen, err := cg.Next(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			// The group rejoins by itself; the error says why this member is
			// not in a generation now.
			e.log().Warn("analyser election: rejoining the group", "group", e.Group, "topic", e.Topic, "err", err)
			continue
		}
		if owns(gen, e.Topic) {
			e.leadGeneration(ctx, gen, lead)
		}
		// A follower needs nothing from its generation: Next returns the
		// next one when the group rebalances.
	}
}

func (e *Elector) config() kafka.ConsumerGroupConfig {
	session := e.SessionTimeout
	if session <= 0 {
		session = 10 * time.Second
	}
	return kafka.ConsumerGroupConfig{ID: e.Group, Brokers: e.Brokers, Topics: []string{e.Topic},
		SessionTimeout: session, HeartbeatInterval: session / 4, RebalanceTimeout: session,
		JoinGroupBackoff: time.Second, Timeout: session / 2}
}

// owns reports whether the generation assigns this member partition 0.
func owns(gen *kafka.Generation, topic string) bool {
	for _, a := range gen.Assignments[topic] {
		if a.ID == 0 {
			return true
		}
	}
	return false
}

// leadGeneration runs lead for as long as the generation and ctx last.
// Running lead inside the generation means its end (lead returning)
// also ends the generation, and the generation's end cancels lead.
func (e *Elector) leadGeneration(ctx context.Context, gen *kafka.Generation, lead func(context.Context)) {
	done := make(chan struct{})
	gen.Start(func(gctx context.Context) {
		defer close(done)
		lctx, cancel := context.WithCancel(ctx)
		defer cancel()
		stop := context.AfterFunc(gctx, cancel)
		defer stop()
		e.log().Info("analyser: this collector leads the governance rounds", "group", e.Group, "generation", gen.ID)
		e.notify(true)
		lead(lctx)
		e.notify(false)
		why := "shutdown"
		if err := gctx.Err(); err != nil && !errors.Is(ctx.Err(), context.Canceled) {
			why = "generation ended (rebalance or lost heartbeat)"
		}
		e.log().Info("analyser: leadership ended", "group", e.Group, "generation", gen.ID, "why", why)
	})
	<-done
}

func (e *Elector) notify(leading bool) {
	if e.OnLeader != nil {
		e.OnLeader(leading)
	}
}

func (e *Elector) log() *slog.Logger {
	if e.Log != nil {
		return e.Log
	}
	return slog.Default()
}
