// Package schedule runs each plugin on its own clock: a full scan at start
// and every full interval, incremental scans every interval between them,
// every interval varied by jitter so that a fleet of agents does not scan in
// step.
package schedule

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/nhiradar/nhiradar/agent/scan"
	"github.com/nhiradar/nhiradar/plugins/sdk"
)

// Entry is one plugin and its timing.
type Entry struct {
	Plugin                 sdk.Plugin
	Interval, FullInterval time.Duration
	// Jitter in [0, 1): each wait is the interval times 1±Jitter.
	Jitter   float64
	Options  map[string]string
	StateDir string
}

// Gate is asked before each scan; it may wait (a budget is exhausted) and
// returns an error only when ctx ends.
type Gate func(ctx context.Context) error

// Scheduler runs entries until its context ends.
type Scheduler struct {
	Runner  *scan.Runner
	Entries []Entry
	Sink    scan.Sink
	Log     *slog.Logger
	// StartDelay bounds the random delay before each plugin's first (full)
	// scan; 0 starts at once.
	StartDelay time.Duration
	// Gate, when set, is waited on before each scan.
	Gate Gate
	// OnResult, when set, receives each scan's result.
	OnResult func(r scan.Result, full bool)
}

// Run starts one loop per entry and returns when ctx ends and all loops
// finished their current scan.
func (s *Scheduler) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, e := range s.Entries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.loop(ctx, e)
		}()
	}
	wg.Wait()
}

func (s *Scheduler) loop(ctx context.Context, e Entry) {
	wait := time.Duration(0)
	if s.StartDelay > 0 {
		wait = time.Duration(rand.Int64N(int64(s.StartDelay)))
	}
	var nextFull time.Time // zero: the first scan is full
	for {
		if !sleep(ctx, wait) {
			return
		}
		if s.Gate != nil && s.Gate(ctx) != nil {
			return
		}
		full := !time.Now().Before(nextFull)
		res := s.Runner.ScanOne(ctx, e.Plugin, scan.Job{Full: full, Options: e.Options, StateDir: e.StateDir}, s.Sink)
		if ctx.Err() != nil {
			return
		}
		if full && res.Err == nil {
			nextFull = time.Now().Add(Jittered(e.FullInterval, e.Jitter))
		}
		s.report(res, full)
		wait = Jittered(e.Interval, e.Jitter)
		if full && res.Err != nil {
			// A failed full scan is retried at the next tick, as a full scan.
			nextFull = time.Time{}
		}
	}
}

func (s *Scheduler) report(res scan.Result, full bool) {
	// OnResult makes the scan's events durable (the agent flushes its spool
	// sink there) before the log says the scan finished, so that the line
	// never announces events a crash could still lose.
	if s.OnResult != nil {
		s.OnResult(res, full)
	}
	l := s.Log
	if l == nil {
		l = slog.Default()
	}
	if res.Err != nil {
		l.Warn("scan failed", "plugin", res.Plugin, "full", full, "events", res.Events, "err", res.Err)
	} else {
		l.Info("scan finished", "plugin", res.Plugin, "full", full, "events", res.Events, "invalid", res.Invalid, "duration", res.Duration)
	}
}

// Jittered returns d varied uniformly by ±jitter (a fraction of d).
func Jittered(d time.Duration, jitter float64) time.Duration {
	if jitter <= 0 || d <= 0 {
		return d
	}
	f := 1 + jitter*(2*rand.Float64()-1)
	return time.Duration(float64(d) * f)
}

func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
