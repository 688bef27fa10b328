package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	psprocess "github.com/shirou/gopsutil/v3/process"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/nhiradar/nhiradar/plugins/sdk"
)

// Scan implements sdk.Plugin: it starts the process if needed (unless it
// waits out a backoff), runs one scan under the timeout and the memory
// watchdog, and kills the process if the scan crashed, hung or grew too
// large. An error the plugin itself reports leaves the process running.
func (p *Plugin) Scan(ctx context.Context, req sdk.ScanRequest, emit sdk.Emit) error {
	pr, err := p.ensure()
	if err != nil {
		return err
	}
	scanCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	if p.spec.Timeout > 0 {
		var c2 context.CancelFunc
		scanCtx, c2 = context.WithTimeout(scanCtx, p.spec.Timeout)
		defer c2()
	}
	w := p.watch(scanCtx, pr, cancel)
	err = pr.impl.Scan(scanCtx, req, emit)
	reason := w.stop()
	switch {
	case reason != "":
	case ctx.Err() != nil:
		// The agent is stopping or the scheduler cancelled: not the plugin's fault.
		return ctx.Err()
	case pastDeadline(scanCtx):
		reason, err = ReasonTimeout, fmt.Errorf("scan took longer than %s", p.spec.Timeout)
	case err != nil && processGone(pr, err):
		reason = ReasonCrash
		if pr.outOfMemory() {
			// Under RLIMIT_DATA a plugin over its limit dies of a failed
			// allocation before the watchdog sees it grow.
			reason = ReasonMemory
		}
	}
	if reason != "" {
		return p.fail(pr, reason, err)
	}
	p.mu.Lock()
	p.failures, p.state, p.lastScan, p.limit = 0, StateRunning, time.Now(), ""
	if err != nil {
		p.lastErr = err.Error()
	} else {
		p.lastErr = ""
	}
	p.mu.Unlock()
	p.rest(pr)
	return err
}

// ensure returns the running process, starting one unless in backoff.
func (p *Plugin) ensure() (*process, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.proc != nil && !p.proc.client.Exited() {
		p.state = StateScanning
		return p.proc, nil
	}
	if wait := time.Until(p.nextStart); wait > 0 {
		return nil, &Failure{Plugin: p.spec.Name, Reason: p.limitOr(ReasonCrash), Err: fmt.Errorf("%w (%s left)", ErrBackoff, wait.Round(time.Second))}
	}
	if p.proc != nil {
		p.proc.kill() // exited between scans: count it as a crash
		p.proc, p.failed = nil, true
	}
	pr, err := p.start()
	if err != nil {
		reason := ReasonNotStart
		p.state = StateBackoff
		if errors.Is(err, ErrChecksum) {
			reason, p.state = ReasonRefused, StateRefused
		}
		p.failures++
		p.failed = true
		p.nextStart = time.Now().Add(p.backoff())
		p.lastErr, p.limit = err.Error(), reason
		p.log.Error("plugin not started", "reason", reason, "err", err)
		return nil, &Failure{Plugin: p.spec.Name, Reason: reason, Err: err}
	}
	if p.failed {
		p.failed = false
		p.restarts++
		p.log.Info("plugin restarted", "restarts", p.restarts, "pid", pr.pid)
	}
	p.proc, p.state, p.info = pr, StateScanning, pr.info
	return pr, nil
}

func (p *Plugin) limitOr(def string) string {
	if p.limit != "" {
		return p.limit
	}
	return def
}

// fail kills the process and schedules its restart.
func (p *Plugin) fail(pr *process, reason string, err error) error {
	pr.kill()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.proc == pr {
		p.proc = nil
	}
	p.failures++
	p.failed = true
	p.nextStart = time.Now().Add(p.backoff())
	p.state, p.limit, p.lastErr = StateBackoff, reason, fmt.Sprint(err)
	p.log.Error("plugin killed", "reason", reason, "err", err, "restart_in", p.backoff())
	return &Failure{Plugin: p.spec.Name, Reason: reason, Err: err}
}

// pastDeadline is true once the scan's deadline passed; gRPC may report it
// a moment before the context does.
func pastDeadline(ctx context.Context) bool {
	d, ok := ctx.Deadline()
	return ok && !time.Now().Before(d)
}

func processGone(pr *process, err error) bool {
	if pr.client.Exited() {
		return true
	}
	c := status.Code(errors.Unwrap(err))
	if c == codes.Unknown {
		c = status.Code(err)
	}
	return c == codes.Unavailable || c == codes.Canceled
}

// watchdog samples the plugin's resident memory during a scan.
type watchdog struct {
	stopOnce sync.Once
	done     chan struct{}
	finished chan struct{}
	reason   string
}

func (p *Plugin) watch(ctx context.Context, pr *process, cancel context.CancelFunc) *watchdog {
	w := &watchdog{done: make(chan struct{}), finished: make(chan struct{})}
	proc, err := psprocess.NewProcess(int32(pr.pid))
	go func() {
		defer close(w.finished)
		if err != nil {
			return
		}
		t := time.NewTicker(orDuration(p.opts.WatchInterval, 250*time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-w.done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
			mi, err := proc.MemoryInfo()
			if err != nil {
				continue
			}
			p.mu.Lock()
			p.rss = int64(mi.RSS)
			p.mu.Unlock()
			if p.spec.MemoryLimit > 0 && int64(mi.RSS) > p.spec.MemoryLimit {
				w.reason = ReasonMemory
				p.log.Warn("plugin over its memory limit", "rss", mi.RSS, "limit", p.spec.MemoryLimit)
				pr.kill()
				cancel()
				return
			}
		}
	}()
	return w
}

// stop ends the watchdog and returns why it killed the plugin, if it did.
func (w *watchdog) stop() string {
	w.stopOnce.Do(func() { close(w.done) })
	<-w.finished
	return w.reason
}
