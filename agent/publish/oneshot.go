package publish

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/nhiradar/nhiradar/internal/spool"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// oneShotQueueBytes bounds what a one-shot scan holds in memory before it
// waits for Kafka.
const oneShotQueueBytes = 16 << 20

// OneShot publishes one scan's events through the service's Drainer over an
// in-memory queue, so that Kafka receives the same messages from `nhi-agent
// scan --output kafka` as from `nhi-agent run`, with the same retries.
type OneShot struct {
	queue   *spool.Memory
	drainer *Drainer
	drained chan struct{}
	cancel  context.CancelFunc
	done    chan error
	queued  atomic.Int64
}

// StartOneShot starts draining into cfg's topic until Close. The drainer
// stops when ctx ends.
func StartOneShot(ctx context.Context, cfg Config, log *slog.Logger) (*OneShot, error) {
	if len(cfg.Brokers) == 0 || cfg.Topic == "" {
		return nil, fmt.Errorf("publish: need brokers and a topic")
	}
	o := &OneShot{queue: spool.NewMemory(oneShotQueueBytes), drained: make(chan struct{}, 1), done: make(chan error, 1)}
	// A scan waits for its events: a retry every few seconds, not every 30.
	o.drainer = &Drainer{Queue: o.queue, Config: cfg, Log: log, MaxBackoff: 5 * time.Second,
		OnDrained: func() {
			select {
			case o.drained <- struct{}{}:
			default:
			}
		}}
	ctx, o.cancel = context.WithCancel(ctx)
	go func() { o.done <- o.drainer.Run(ctx) }()
	return o, nil
}

// Put queues one event, waiting while the queue is full.
func (o *OneShot) Put(ctx context.Context, e *event.Event) error {
	r, err := Record(e)
	if err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	if err := o.queue.Append(ctx, r); err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	o.queued.Add(1)
	return nil
}

// Close waits up to timeout (or until ctx ends) for Kafka to acknowledge
// every queued event, then stops the drainer. It is an error when any event
// was not delivered.
func (o *OneShot) Close(ctx context.Context, timeout time.Duration) error {
	t := time.NewTimer(timeout)
	defer t.Stop()
	wait := true
	for wait && o.queue.Len() > 0 {
		select {
		case <-o.drained:
		case <-t.C:
			wait = false
		case <-ctx.Done():
			wait = false
		case err := <-o.done:
			// The drainer stopped on its own: its queue cannot be read.
			o.done <- err
			wait = false
		}
	}
	o.cancel()
	err := <-o.done
	if left := o.queue.Len(); left > 0 {
		last := o.drainer.Stats().LastError
		if last == "" {
			last = "none"
		}
		return fmt.Errorf("publish: %d of %d events not delivered to %s within %s (last error: %s)",
			left, o.queued.Load(), o.drainer.Config.Topic, timeout, last)
	}
	if err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	return nil
}
