package ingest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
)

// Run consumes until ctx is cancelled, then stores and commits what it has
// fetched before it returns. Fetching and decoding the next batch overlaps
// with storing the previous one; batches are stored and committed in order,
// one at a time, and no decoded batch waits beside them: when ClickHouse is slow
// the fetch loop blocks (back-pressure) instead of buffering without bound.
func (c *Consumer) Run(ctx context.Context) error {
	// Flushes outlive ctx by ShutdownGrace so that the open batch is stored.
	flushCtx, cancelFlush := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelFlush()
	stopGrace := context.AfterFunc(ctx, func() { time.AfterFunc(c.cfg.ShutdownGrace, cancelFlush) })
	defer stopGrace()

	// Unbuffered: one batch is stored while the next is fetched and
	// prepared, and no third waits between them; a prepared batch is tens
	// of megabytes.
	batches := make(chan *batch)
	flushed := make(chan error, 1)
	go func() {
		var err error
		for b := range batches {
			if err == nil {
				err = c.flush(flushCtx, b)
			}
		}
		flushed <- err
	}()
	loopErr := c.fetchLoop(ctx, flushCtx, batches)
	close(batches)
	if err := <-flushed; err != nil {
		return fmt.Errorf("ingest: flush on shutdown (uncommitted messages will be re-delivered): %w", err)
	}
	return loopErr
}

// fetchLoop fetches batches until ctx ends, decodes and prepares them under
// flushCtx (which the store keeps for the insert) and hands them on. Kafka
// errors are never fatal: the reader reconnects by itself, so the loop
// logs, backs off and fetches again.
func (c *Consumer) fetchLoop(ctx, flushCtx context.Context, out chan<- *batch) error {
	wait := 100 * time.Millisecond
	for {
		t0 := time.Now()
		msgs, err := c.fetchBatch(ctx)
		if n := len(msgs); n > 0 {
			t1 := time.Now()
			var prep Appender
			if p, ok := c.store.(Preparer); ok {
				prep = p.Prepare(flushCtx)
			}
			b := decodeBatch(msgs, c.cfg.DLQExcerptBytes, prep)
			t2 := time.Now()
			out <- b
			c.log.Debug("batch fetched", "messages", n, "fetch", t1.Sub(t0), "decode", t2.Sub(t1), "wait_for_store", time.Since(t2))
		}
		if ctx.Err() != nil {
			return nil
		}
		if err == nil {
			wait = 100 * time.Millisecond
			continue
		}
		c.Stats.FetchErrors.Add(1)
		c.cfg.Metrics.failed("fetch")
		c.log.Warn("kafka fetch failed, retrying", "wait", wait, "err", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		wait = min(wait*2, c.cfg.RetryMax)
	}
}

// fetchBatch collects messages until BatchRows, BatchBytes or BatchWait, or until ctx
// ends or Kafka fails; it returns what it has in every case.
func (c *Consumer) fetchBatch(ctx context.Context) ([]kafka.Message, error) {
	deadline := time.Now().Add(c.cfg.BatchWait)
	fctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	msgs := make([]kafka.Message, 0, min(c.cfg.BatchRows, 65536))
	size := 0
	for len(msgs) < c.cfg.BatchRows && size < c.cfg.BatchBytes {
		m, err := c.reader.FetchMessage(fctx)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) {
				return msgs, nil
			}
			return msgs, fmt.Errorf("ingest: fetch: %w", err)
		}
		c.Stats.Messages.Add(1)
		c.pendingSince.CompareAndSwap(0, time.Now().UnixNano())
		size += len(m.Value) + len(m.Key)
		msgs = append(msgs, m)
	}
	return msgs, nil
}
