package ticket

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

type fakeClock struct {
	now    time.Time
	sleeps []time.Duration
}

func (f *fakeClock) retrier() Retrier {
	return Retrier{
		Attempts: 4, Initial: time.Second, Max: 8 * time.Second, MaxElapsed: time.Minute,
		Now: func() time.Time { return f.now },
		Sleep: func(_ context.Context, d time.Duration) error {
			f.sleeps = append(f.sleeps, d)
			f.now = f.now.Add(d)
			return nil
		},
		Jitter: func() float64 { return 1 },
	}
}

func failing(errs ...error) (func(context.Context) error, *int) {
	calls := 0
	return func(context.Context) error {
		calls++
		if calls <= len(errs) {
			return errs[calls-1]
		}
		return nil
	}, &calls
}

func TestRetrierBacksOffAndHonoursRetryAfter(t *testing.T) {
	fc := &fakeClock{now: time.Unix(0, 0)}
	op, calls := failing(&Error{Retryable: true}, &Error{Retryable: true, RetryAfter: 5 * time.Second}, &Error{Retryable: true})
	if err := fc.retrier().Do(context.Background(), op); err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{time.Second, 5 * time.Second, 4 * time.Second}
	if *calls != 4 || len(fc.sleeps) != 3 || fc.sleeps[0] != want[0] || fc.sleeps[1] != want[1] || fc.sleeps[2] != want[2] {
		t.Errorf("calls=%d sleeps=%v want %v", *calls, fc.sleeps, want)
	}
}

func TestRetrierStopsOnPermanentError(t *testing.T) {
	fc := &fakeClock{now: time.Unix(0, 0)}
	perm := &Error{System: "jira", Status: 401, Msg: "check credentials"}
	op, calls := failing(perm)
	err := fc.retrier().Do(context.Background(), op)
	if !errors.Is(err, perm) || *calls != 1 || len(fc.sleeps) != 0 {
		t.Errorf("err=%v calls=%d sleeps=%v", err, *calls, fc.sleeps)
	}
}

func TestRetrierBounds(t *testing.T) {
	fc := &fakeClock{now: time.Unix(0, 0)}
	r := fc.retrier()
	op, calls := failing(&Error{Retryable: true}, &Error{Retryable: true}, &Error{Retryable: true}, &Error{Retryable: true}, &Error{Retryable: true})
	if err := r.Do(context.Background(), op); err == nil || !strings.Contains(err.Error(), "after 4 attempts") || *calls != 4 {
		t.Errorf("attempt bound: err=%v calls=%d", err, *calls)
	}
	fc = &fakeClock{now: time.Unix(0, 0)}
	op, calls = failing(&Error{Retryable: true, RetryAfter: 2 * time.Minute})
	if err := fc.retrier().Do(context.Background(), op); err == nil || !strings.Contains(err.Error(), "giving up") || *calls != 1 {
		t.Errorf("time bound: err=%v calls=%d", err, *calls)
	}
}

func TestRetrierContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	r := Retrier{Initial: time.Hour, Max: time.Hour, MaxElapsed: 2 * time.Hour}
	go cancel()
	err := r.Do(ctx, func(context.Context) error { return &Error{Retryable: true} })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("want context.Canceled, got %v", err)
	}
}
