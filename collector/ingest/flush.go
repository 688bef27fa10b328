package ingest

import (
	"context"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
)

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
	if err := c.deadLetters(ctx, b.dead); err != nil {
		return err
	}
	if err := c.retry(ctx, "commit offsets", func(ctx context.Context) error { return c.reader.CommitMessages(ctx, b.last()...) }); err != nil {
		return err
	}
	c.committed(b.rows())
	c.Stats.Stored.Add(int64(b.validRows()))
	c.Stats.DeadLetters.Add(int64(len(b.dead)))
	c.Stats.Batches.Add(1)
	c.cfg.Metrics.batchDone(b, time.Since(start))
	c.log.Debug("batch stored", "rows", b.validRows(), "dead_letters", len(b.dead), "duration", time.Since(start))
	return nil
}

// committed records the progress Progress judges.
func (c *Consumer) committed(n int) {
	now := time.Now().UnixNano()
	c.lastCommit.Store(now)
	if c.Stats.Committed.Add(int64(n)) >= c.Stats.Messages.Load() {
		c.pendingSince.Store(0)
	} else {
		c.pendingSince.Store(now) // the next batch is on its way
	}
}

// deadLetters writes the batch's dead letters to the topic with at most
// DLQAttempts attempts; when the topic still refuses them they go to the
// local dead-letter file and the stream moves on: one bad message must never
// stop the pipeline. Only the end of ctx (shutdown) is an error.
func (c *Consumer) deadLetters(ctx context.Context, dead []deadLetter) error {
	if len(dead) == 0 {
		return nil
	}
	err := c.retryN(ctx, "write dead letters", c.cfg.DLQAttempts, func(ctx context.Context) error { return c.writeDead(ctx, dead) })
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return err
	}
	c.deadLettersLost(dead, err)
	return nil
}

// retry calls fn until it succeeds or ctx ends, backing off exponentially.
func (c *Consumer) retry(ctx context.Context, what string, fn func(context.Context) error) error {
	return c.retryN(ctx, what, 0, fn)
}

// retryN is retry with at most attempts attempts (0: no limit).
func (c *Consumer) retryN(ctx context.Context, what string, attempts int, fn func(context.Context) error) error {
	wait := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := fn(ctx)
		if err == nil {
			return nil
		}
		c.Stats.StoreErrors.Add(1)
		c.cfg.Metrics.failed(what)
		if attempts > 0 && attempt >= attempts {
			return fmt.Errorf("ingest: %s: %d attempts: %w", what, attempt, err)
		}
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
