package ticket

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"
)

// Retrier retries a call while it fails with a retryable *Error: exponential
// backoff with full jitter, at least the RetryAfter the remote asked for,
// bounded by attempts and by total time, stopped by the context. Zero values
// take defaults; Sleep, Now and Jitter are injectable for tests.
type Retrier struct {
	Attempts   int           // total attempts, default 5
	Initial    time.Duration // first backoff, default 500ms
	Max        time.Duration // backoff ceiling, default 30s
	MaxElapsed time.Duration // give up once this much time has passed, default 2m

	Sleep  func(ctx context.Context, d time.Duration) error // default: timer + ctx
	Now    func() time.Time                                 // default time.Now
	Jitter func() float64                                   // in [0,1), default math/rand
}

// Do calls op until it succeeds, fails with a non-retryable error, or the
// bounds are hit; the last error is returned wrapped with the attempt count.
func (r Retrier) Do(ctx context.Context, op func(context.Context) error) error {
	r = r.withDefaults()
	start := r.Now()
	var err error
	for attempt := 1; ; attempt++ {
		if err = op(ctx); err == nil {
			return nil
		}
		if !IsRetryable(err) || attempt >= r.Attempts {
			return r.wrap(err, attempt)
		}
		wait := r.backoff(attempt, err)
		if r.Now().Add(wait).Sub(start) > r.MaxElapsed {
			return fmt.Errorf("giving up before a %s wait (limit %s): %w", wait, r.MaxElapsed, r.wrap(err, attempt))
		}
		if serr := r.Sleep(ctx, wait); serr != nil {
			return fmt.Errorf("%w (while waiting to retry: %w)", r.wrap(err, attempt), serr)
		}
	}
}

func (r Retrier) wrap(err error, attempts int) error {
	if attempts == 1 {
		return err
	}
	return fmt.Errorf("after %d attempts: %w", attempts, err)
}

// backoff is full jitter over Initial*2^(n-1), capped at Max, and never less
// than the RetryAfter the remote asked for.
func (r Retrier) backoff(attempt int, err error) time.Duration {
	d := r.Initial << min(attempt-1, 30)
	if d <= 0 || d > r.Max {
		d = r.Max
	}
	d = time.Duration(float64(d) * r.Jitter())
	if e := asError(err); e != nil && e.RetryAfter > d {
		d = e.RetryAfter
	}
	return d
}

func (r Retrier) withDefaults() Retrier {
	if r.Attempts <= 0 {
		r.Attempts = 5
	}
	if r.Initial <= 0 {
		r.Initial = 500 * time.Millisecond
	}
	if r.Max <= 0 {
		r.Max = 30 * time.Second
	}
	if r.MaxElapsed <= 0 {
		r.MaxElapsed = 2 * time.Minute
	}
	if r.Sleep == nil {
		r.Sleep = sleepCtx
	}
	if r.Now == nil {
		r.Now = time.Now
	}
	if r.Jitter == nil {
		r.Jitter = rand.Float64
	}
	return r
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
