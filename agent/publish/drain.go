package publish

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/nhiradar/nhiradar/internal/spool"
)

// Queue is what the Drainer takes messages from: the spool.
type Queue interface {
	Peek(n, maxBytes int) ([]spool.Entry, error)
	Remove(seq uint64) error
	Notify() <-chan struct{}
}

// DrainStats says how draining goes.
type DrainStats struct {
	Published int64
	Failures  int64
	LastError string
	LastOK    time.Time
}

// Drainer moves messages from the spool to Kafka, oldest first, one batch at
// a time, and removes a batch from the spool only once Kafka acknowledged
// it. A failed batch is retried with backoff, for ever, on a fresh writer:
// the old one may hold connections and metadata of a broker that went away.
type Drainer struct {
	Queue  Queue
	Config Config
	Log    *slog.Logger
	// MaxBatch and MaxBatchBytes bound one write (defaults 500, 1 MiB).
	MaxBatch      int
	MaxBatchBytes int
	// MinBackoff and MaxBackoff bound the wait after a failure (200ms, 30s).
	MinBackoff, MaxBackoff time.Duration
	// OnDrained, when set, is called each time the spool is empty again
	// after messages were published: the agent returns memory then.
	OnDrained func()

	mu    sync.Mutex
	stats DrainStats
}

// Stats returns a snapshot of the drain statistics.
func (d *Drainer) Stats() DrainStats {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.stats
}

// Run drains until ctx ends.
func (d *Drainer) Run(ctx context.Context) error {
	cfg := d.Config
	if len(cfg.Brokers) == 0 || cfg.Topic == "" {
		return fmt.Errorf("publish: drain needs brokers and a topic")
	}
	w := newWriter(cfg)
	defer func() { closeWriter(w) }()
	backoff := orDuration(d.MinBackoff, 200*time.Millisecond)
	published := false
	for ctx.Err() == nil {
		es, err := d.Queue.Peek(orInt(d.MaxBatch, 500), orInt(d.MaxBatchBytes, 1<<20))
		if err != nil {
			return fmt.Errorf("publish: drain: %w", err)
		}
		if len(es) == 0 {
			if published && d.OnDrained != nil {
				d.OnDrained()
			}
			published = false
			d.idle(ctx)
			continue
		}
		if err := d.write(ctx, w, es); err != nil {
			if ctx.Err() != nil {
				break
			}
			d.failed(err, len(es), backoff)
			closeWriter(w)
			w = newWriter(cfg)
			sleep(ctx, backoff)
			backoff = min(2*backoff, orDuration(d.MaxBackoff, 30*time.Second))
			continue
		}
		backoff = orDuration(d.MinBackoff, 200*time.Millisecond)
		if err := d.Queue.Remove(es[len(es)-1].Seq); err != nil {
			return fmt.Errorf("publish: drain: %w", err)
		}
		published = true
		d.mu.Lock()
		d.stats.Published += int64(len(es))
		d.stats.LastOK = time.Now()
		d.mu.Unlock()
	}
	return nil
}

func (d *Drainer) write(ctx context.Context, w *kafka.Writer, es []spool.Entry) error {
	msgs := make([]kafka.Message, len(es))
	for i, e := range es {
		msgs[i] = kafka.Message{Key: e.Key, Value: e.Value}
	}
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		return fmt.Errorf("write %d messages to %s: %w", len(msgs), w.Topic, err)
	}
	return nil
}

func (d *Drainer) failed(err error, n int, backoff time.Duration) {
	d.mu.Lock()
	d.stats.Failures++
	d.stats.LastError = err.Error()
	d.mu.Unlock()
	d.log().Warn("publish failed; events stay spooled", "events", n, "retry_in", backoff, "err", err)
}

// idle waits for new entries, or a second, which also retries a Peek that
// raced with an Append.
func (d *Drainer) idle(ctx context.Context) {
	t := time.NewTimer(time.Second)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-d.Queue.Notify():
	case <-t.C:
	}
}

func (d *Drainer) log() *slog.Logger {
	if d.Log != nil {
		return d.Log
	}
	return slog.Default()
}

func closeWriter(w *kafka.Writer) {
	_ = w.Close()
	if t, ok := w.Transport.(*kafka.Transport); ok {
		t.CloseIdleConnections()
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
