// Package scan runs discovery plugins over a host (or a root standing for
// one), completes the envelope of every event they emit, and closes each
// plugin's full scan with a scan_completed event listing what it saw.
package scan

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nhiradar/nhiradar/plugins/sdk"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// Sink receives completed, valid events.
type Sink func(ctx context.Context, e *event.Event) error

// Runner scans with a set of plugins.
type Runner struct {
	Plugins        []sdk.Plugin
	AgentID        string
	Host           string
	Root           string
	FingerprintKey []byte
	Now            func() time.Time
	Log            *slog.Logger
}

// Result counts what one plugin's scan produced.
type Result struct {
	Plugin  string
	Events  int
	Invalid int
	// Warnings counts the paths the plugin could not read in full;
	// Unreadable names the first event.MaxUnreadable of them.
	Warnings   int
	Unreadable []string
	// Coverage is how far the plugin's usage sources reach.
	Coverage []event.Coverage
	Err      error
	Duration time.Duration
}

// Run runs every plugin once, in order, with a full scan. A plugin that fails
// does not stop the others; its error is in its Result.
func (r *Runner) Run(ctx context.Context, sink Sink) []Result {
	var out []Result
	for _, p := range r.Plugins {
		info := p.Info()
		if info.LiveOnly && r.rebased() {
			continue
		}
		res := r.ScanOne(ctx, p, Job{Full: true}, sink)
		if res.Err != nil {
			r.log().Error("plugin scan failed", "plugin", info.Name, "err", res.Err)
		}
		out = append(out, res)
		if ctx.Err() != nil {
			break
		}
	}
	return out
}

// rebased says whether the scan reads a tree standing for / rather than the
// live host.
func (r *Runner) rebased() bool { return r.Root != "" && r.Root != "/" }

// Job says how one plugin scans: full or incremental, with its options and
// state directory.
type Job struct {
	Full     bool
	Options  map[string]string
	StateDir string
}

// aborted is implemented by errors of a scan that did not run to its end
// (its plugin process crashed, hung or was killed): such a scan saw only
// part of the host, so no scan_completed closes it.
type aborted interface{ Aborted() bool }

// ScanOne runs one plugin once. A full scan that ran to its end is closed
// with scan_completed events listing what the plugin saw.
func (r *Runner) ScanOne(ctx context.Context, p sdk.Plugin, job Job, sink Sink) Result {
	name := p.Info().Name
	start := r.now()
	scanID := event.NewID()
	res := Result{Plugin: name}
	seen := map[string]bool{}
	emit := func(e *event.Event) error {
		switch e.Type {
		case event.TypeScanWarning:
			r.warned(&res, e)
			return nil
		case event.TypeScanCoverage:
			r.covered(&res, e)
			return nil
		}
		e.Plugin, e.ScanID = name, scanID
		e.Complete(r.AgentID, r.Host, r.now())
		if err := e.Validate(); err != nil {
			// Only the field name and reason: never the value, which may be a secret.
			res.Invalid++
			r.log().Warn("plugin emitted an invalid event", "plugin", name, "err", err)
			return nil
		}
		if e.Type == event.TypeNHIObserved {
			seen[e.NHIID] = true
		}
		res.Events++
		return sink(ctx, e)
	}
	req := sdk.ScanRequest{Root: r.Root, Full: job.Full, FingerprintKey: r.FingerprintKey, Now: start,
		Options: job.Options, StateDir: job.StateDir, Log: r.log().With("plugin", name)}
	res.Err = p.Scan(ctx, req, emit)
	res.Duration = r.now().Sub(start)
	if ctx.Err() != nil {
		res.Err = ctx.Err()
		return res
	}
	var ab aborted
	if !job.Full || (errors.As(res.Err, &ab) && ab.Aborted()) {
		return res
	}
	// A plugin process tells whether it is live-only once it has started:
	// such a plugin saw nothing of a rebased root, so its scan proves
	// nothing absent there.
	if p.Info().LiveOnly && r.rebased() {
		return res
	}
	errs := res.Warnings
	if res.Err != nil {
		errs++
	}
	for _, e := range Completed(name, scanID, start, r.now(), seen, errs, res.Unreadable, res.Coverage) {
		e.Complete(r.AgentID, r.Host, r.now())
		if err := sink(ctx, e); err != nil {
			res.Err = fmt.Errorf("scan completed event: %w", err)
			break
		}
	}
	res.Duration = r.now().Sub(start)
	return res
}

// warned records a path the plugin could not read: a warning in the log
// (path and reason only) and an entry for scan_completed.
func (r *Runner) warned(res *Result, e *event.Event) {
	path, reason := clip(e.Location, event.MaxFieldBytes), clip(e.Attrs["reason"], 200)
	res.Warnings++
	if path != "" && len(res.Unreadable) < event.MaxUnreadable && !slices.Contains(res.Unreadable, path) {
		res.Unreadable = append(res.Unreadable, path)
	}
	r.log().Warn("plugin could not read a file; identities there are kept, not taken for gone",
		"plugin", res.Plugin, "path", path, "reason", reason)
}

// covered records how far one usage source reaches; a malformed report is
// dropped with a warning (it only weakens dormancy, never invents it).
func (r *Runner) covered(res *Result, e *event.Event) {
	from, err1 := time.Parse(time.RFC3339, e.Attrs["from"])
	to, err2 := time.Parse(time.RFC3339, e.Attrs["to"])
	if err1 != nil || err2 != nil || to.Before(from) || e.Location == "" {
		r.log().Warn("plugin sent an unreadable coverage report", "plugin", res.Plugin, "source", clip(e.Location, 200))
		return
	}
	for _, ev := range strings.Split(e.Attrs["evidence"], ",") {
		if ev != "" && len(res.Coverage) < event.MaxCoverage {
			res.Coverage = append(res.Coverage, event.Coverage{Source: clip(e.Location, event.MaxFieldBytes),
				Evidence: event.Evidence(ev), From: from, To: to})
		}
	}
}

// clip bounds a string a plugin sent, on a UTF-8 boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Runner) log() *slog.Logger {
	if r.Log != nil {
		return r.Log
	}
	return slog.Default()
}
