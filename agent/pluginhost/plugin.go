// Package pluginhost runs discovery plugins as separate executables with
// hashicorp/go-plugin over gRPC. Each executable is pinned by SHA-256 and
// refused otherwise; each scan has a timeout; a plugin that crashes, hangs
// or grows over its memory limit is killed, and restarted with backoff at
// its next scan, while the other plugins keep running. Plugin logs go into
// the agent's structured log.
package pluginhost

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nhiradar/nhiradar/plugins/sdk"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// Spec configures one plugin.
type Spec struct {
	Name string
	// Path is the executable and SHA256 its pinned hex checksum.
	Path, SHA256 string
	// Timeout bounds one scan (0: none).
	Timeout time.Duration
	// MemoryLimit is the resident size above which the process is killed
	// (0: none).
	MemoryLimit int64
	// KeepRunning keeps the process between scans. By default it ends after
	// each scan and starts again for the next: between scans the host
	// carries the agent alone, at the cost of a process start per scan.
	KeepRunning bool
}

// Options tune the host; zero values work.
type Options struct {
	Log *slog.Logger
	// MinBackoff and MaxBackoff bound the wait before a failed plugin is
	// started again (defaults 5s and 10m).
	MinBackoff, MaxBackoff time.Duration
	// WatchInterval is how often the memory watchdog looks (default 250ms).
	WatchInterval time.Duration
	StartTimeout  time.Duration
}

// Reasons a plugin process was killed, as logged and reported.
const (
	ReasonCrash    = "crash"
	ReasonTimeout  = "timeout"
	ReasonMemory   = "memory_limit"
	ReasonRefused  = "checksum_mismatch"
	ReasonNotStart = "start_failed"
)

// States of a plugin, as reported in heartbeats.
const (
	StateIdle     = "idle"
	StateRunning  = "running"
	StateScanning = "scanning"
	StateBackoff  = "backoff"
	StateRefused  = "refused"
	StateStopped  = "stopped"
)

// Failure is a scan that ended with the plugin process killed or not
// started. Its scan is incomplete: no scan_completed follows it.
type Failure struct {
	Plugin, Reason string
	Err            error
}

func (f *Failure) Error() string {
	return fmt.Sprintf("plugin %s: %s: %v", f.Plugin, f.Reason, f.Err)
}

func (f *Failure) Unwrap() error { return f.Err }

// Aborted tells agent/scan not to close the scan with scan_completed.
func (f *Failure) Aborted() bool { return true }

// ErrBackoff is returned by Scan while a failed plugin waits to restart.
var ErrBackoff = errors.New("waiting to restart after a failure")

// Plugin is one plugin executable under the host. It implements sdk.Plugin,
// so agent/scan runs it like an in-process plugin.
type Plugin struct {
	spec Spec
	opts Options
	log  *slog.Logger

	mu       sync.Mutex
	info     sdk.Info // from the last process started
	proc     *process
	state    string
	restarts int
	failures int
	// failed is true from a failure until the next good start: only then
	// is a start a restart.
	failed    bool
	nextStart time.Time
	lastErr   string
	limit     string
	lastScan  time.Time
	rss       int64
}

// New returns a plugin that starts on its first scan.
func New(spec Spec, opts Options) *Plugin {
	l := opts.Log
	if l == nil {
		l = slog.Default()
	}
	return &Plugin{spec: spec, opts: opts, log: l.With("plugin", spec.Name), state: StateIdle}
}

// Info implements sdk.Plugin. The name is the configured one; the rest comes
// from the process once it ran.
func (p *Plugin) Info() sdk.Info {
	p.mu.Lock()
	defer p.mu.Unlock()
	i := p.info
	i.Name = p.spec.Name
	return i
}

// PID returns the process id of the running plugin, or 0.
func (p *Plugin) PID() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.proc == nil {
		return 0
	}
	return p.proc.pid
}

// Status reports the plugin's state for a heartbeat.
func (p *Plugin) Status() event.PluginStatus {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := event.PluginStatus{Name: p.spec.Name, State: p.state, Restarts: p.restarts,
		LastError: p.lastErr, RSSBytes: p.rss, LimitReached: p.limit}
	if !p.lastScan.IsZero() {
		t := p.lastScan.UTC()
		s.LastScan = &t
	}
	return s
}

// Stop kills the plugin process, if any.
func (p *Plugin) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.proc != nil {
		p.proc.kill()
		p.proc = nil
	}
	p.state = StateStopped
}

// rest ends the process after a good scan unless it is kept running; the
// next scan starts a new one, which is not a restart.
func (p *Plugin) rest(pr *process) {
	if p.spec.KeepRunning {
		return
	}
	pr.client.Kill() // graceful: the plugin finished its work
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.proc == pr {
		p.proc, p.state, p.rss = nil, StateIdle, 0
	}
}

func (p *Plugin) backoff() time.Duration {
	d := orDuration(p.opts.MinBackoff, 5*time.Second)
	for i := 1; i < p.failures && d < orDuration(p.opts.MaxBackoff, 10*time.Minute); i++ {
		d *= 2
	}
	return min(d, orDuration(p.opts.MaxBackoff, 10*time.Minute))
}
