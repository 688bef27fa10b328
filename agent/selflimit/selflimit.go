// Package selflimit keeps the agent within its budgets on a host that
// belongs to someone else. It measures, with gopsutil, the CPU time of the
// agent and of its plugin processes and the bytes the plugins read from
// storage, over a sliding window; while the window is over a budget it stops
// the plugin processes (SIGSTOP to their process group) and holds back new
// scans, and continues them once the window is back under it.
package selflimit

import (
	"context"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/shirou/gopsutil/v3/process"
)

// Budget is what the agent and its plugins may use, averaged over Window.
type Budget struct {
	// CPUPercent is a percentage of one core (5 means 3s of CPU a minute).
	CPUPercent float64
	Window     time.Duration
	// ReadBytesPerSecond bounds what plugins read from storage (0: none).
	ReadBytesPerSecond int64
}

// over says which budget, if any, the use over the window exceeds: "cpu",
// "io" or "".
func (b Budget) over(cpuPercent, readBytesPerSecond float64) string {
	switch {
	case b.CPUPercent > 0 && cpuPercent > b.CPUPercent:
		return "cpu"
	case b.ReadBytesPerSecond > 0 && readBytesPerSecond > float64(b.ReadBytesPerSecond):
		return "io"
	}
	return ""
}

// Stats describes recent use.
type Stats struct {
	// CPUPercent is the agent's and plugins' CPU over the window, in
	// percent of one core; ReadBytesPerSecond the plugins' storage reads.
	CPUPercent         float64
	ReadBytesPerSecond float64
	Throttled          bool
	// Pauses counts how often plugins were stopped; Reason says which
	// budget stopped them last ("cpu" or "io").
	Pauses int
	Reason string
}

// Limiter enforces a Budget.
type Limiter struct {
	Budget Budget
	// Plugins returns the process ids of the running plugins.
	Plugins func() []int
	// Tick is the sampling period (default 250ms).
	Tick time.Duration
	Log  *slog.Logger

	mu      sync.Mutex
	stats   Stats
	last    map[int]usage // cumulative use per process at the last tick
	procs   map[int]*process.Process
	ring    []usage // use per tick over the window
	pos     int
	pace    usage         // use in the last tick that plugins were not stopped
	ownRate time.Duration // the agent's own use per tick, smoothed
	ticks   int
	logged  time.Time // last pause logged at info level
	stopped map[int]bool
}

type usage struct {
	cpu   time.Duration
	bytes uint64
	// self is the agent's own share of cpu.
	self time.Duration
}

func (l *Limiter) init() {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := int(l.window() / l.tick())
	l.ring = make([]usage, max(n, 1))
	l.last = map[int]usage{}
	l.stopped = map[int]bool{}
	l.procs = map[int]*process.Process{}
}

func (l *Limiter) tick() time.Duration {
	if l.Tick > 0 {
		return l.Tick
	}
	return 250 * time.Millisecond
}

func (l *Limiter) window() time.Duration {
	if l.Budget.Window > 0 {
		return l.Budget.Window
	}
	return time.Minute
}

// Stats returns recent use.
func (l *Limiter) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.stats
}

// Run samples and enforces until ctx ends; then every stopped plugin is
// continued.
func (l *Limiter) Run(ctx context.Context) {
	l.init()
	t := time.NewTicker(l.tick())
	defer t.Stop()
	defer l.resumeAll()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		l.sample()
	}
}

// Wait returns once use is under budget, or with ctx's error. The
// scheduler waits on it before starting a scan.
func (l *Limiter) Wait(ctx context.Context) error {
	for ctx.Err() == nil {
		if !l.Stats().Throttled {
			return nil
		}
		select {
		case <-ctx.Done():
		case <-time.After(l.tick()):
		}
	}
	return ctx.Err()
}

func (l *Limiter) sample() {
	pids := []int{}
	if l.Plugins != nil {
		pids = l.Plugins()
	}
	var now usage
	seen := map[int]usage{}
	procs := map[int]*process.Process{}
	for _, pid := range append([]int{os.Getpid()}, pids...) {
		u, ok := l.measure(pid, procs)
		if !ok {
			continue
		}
		seen[pid] = u
		prev := l.last[pid]
		if u.cpu >= prev.cpu {
			now.cpu += u.cpu - prev.cpu
			if pid == os.Getpid() {
				now.self = u.cpu - prev.cpu
			}
		}
		if pid != os.Getpid() && u.bytes >= prev.bytes {
			now.bytes += u.bytes - prev.bytes
		}
	}
	l.mu.Lock()
	l.last, l.procs = seen, procs
	l.record(now, pids)
	l.mu.Unlock()
}

// record adds one tick's use to the window and enforces the budget for the
// next tick: plugins stop when the window would exceed the budget after one
// more tick at the current pace, and continue once one more tick at the
// pace they ran at fits again. Deciding on the use so far alone would
// overshoot by up to a tick at every pause and every resume. l.mu is held.
func (l *Limiter) record(now usage, pids []int) {
	l.ring[l.pos] = now
	l.pos = (l.pos + 1) % len(l.ring)
	var sum usage
	for _, u := range l.ring {
		sum.cpu += u.cpu
		sum.bytes += u.bytes
	}
	w := l.window().Seconds()
	l.stats.CPUPercent = 100 * sum.cpu.Seconds() / w
	l.stats.ReadBytesPerSecond = float64(sum.bytes) / w
	if !l.stats.Throttled {
		l.pace = now
	}
	// The first tick holds the agent's start-up, not its pace.
	switch l.ticks++; l.ticks {
	case 1:
	case 2:
		l.ownRate = now.self
	default:
		l.ownRate += (now.self - l.ownRate) / 16
	}
	// l.ring[l.pos] is the oldest tick, the one the next tick replaces.
	next := usage{cpu: sum.cpu - l.ring[l.pos].cpu + l.pace.cpu, bytes: sum.bytes - l.ring[l.pos].bytes + l.pace.bytes}
	// The agent keeps working while its plugins are stopped (publishing,
	// heartbeats, this sampling): the window keeps room for that, but never
	// more than a fifth of the budget, so that a burst of the agent's own
	// work (starting plugins, a backlog) does not starve the plugins.
	budget := time.Duration(l.Budget.CPUPercent / 100 * float64(l.window()))
	next.cpu += min(l.ownRate*time.Duration(len(l.ring)), budget/5)
	l.enforce(l.Budget.over(100*next.cpu.Seconds()/w, float64(next.bytes)/w), pids)
}

// enforce stops or continues plugins; l.mu is held.
func (l *Limiter) enforce(reason string, pids []int) {
	if reason != "" {
		if !l.stats.Throttled {
			l.stats.Pauses++
			l.stats.Reason = reason
			// A plugin held at its budget pauses every few ticks: say so once
			// a window at info level, each time at debug level.
			level := slog.LevelDebug
			if time.Since(l.logged) >= l.window() {
				level, l.logged = slog.LevelInfo, time.Now()
			}
			l.log().Log(context.Background(), level, "budget exhausted: plugins paused", "budget", reason,
				"cpu_percent", l.stats.CPUPercent, "read_bytes_per_second", l.stats.ReadBytesPerSecond, "pauses", l.stats.Pauses)
		}
		l.stats.Throttled = true
		for _, pid := range pids {
			if !l.stopped[pid] && pause(pid) {
				l.stopped[pid] = true
			}
		}
		return
	}
	if l.stats.Throttled {
		l.log().Debug("back under budget: plugins continued", "cpu_percent", l.stats.CPUPercent)
	}
	l.stats.Throttled = false
	for pid := range l.stopped {
		resume(pid)
		delete(l.stopped, pid)
	}
}

func (l *Limiter) resumeAll() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for pid := range l.stopped {
		resume(pid)
		delete(l.stopped, pid)
	}
	l.stats.Throttled = false
}

func (l *Limiter) log() *slog.Logger {
	if l.Log != nil {
		return l.Log
	}
	return slog.Default()
}

// measure returns the cumulative use of pid: for the agent itself from
// getrusage (one system call), for a plugin from /proc through gopsutil,
// reusing the process handle between ticks.
func (l *Limiter) measure(pid int, keep map[int]*process.Process) (usage, bool) {
	if pid == os.Getpid() {
		cpu, ok := ownCPU()
		return usage{cpu: cpu}, ok
	}
	p := l.procs[pid]
	if p == nil {
		var err error
		if p, err = process.NewProcess(int32(pid)); err != nil {
			return usage{}, false
		}
	}
	keep[pid] = p
	t, err := p.Times()
	if err != nil {
		return usage{}, false
	}
	u := usage{cpu: time.Duration((t.User + t.System) * float64(time.Second))}
	if io, err := p.IOCounters(); err == nil {
		u.bytes = io.ReadBytes
	}
	return u, true
}
