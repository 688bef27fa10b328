// Package sdk is what a discovery plugin implements: the Plugin interface, the
// scan request it receives and the way it emits events. Plugins run behind
// the same interface in process (tests, benchmarks) or as separate
// executables under the agent's plugin host (`nhi-agent scan` and `run`).
package sdk

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/nhiradar/nhiradar/plugins/sdk/event"
	"github.com/nhiradar/nhiradar/plugins/sdk/hostfs"
)

// Info describes a plugin.
type Info struct {
	Name        string
	Version     string
	Description string
	// LiveOnly plugins read the running system (processes) and do not run
	// when the scan is rebased onto another root.
	LiveOnly bool
}

// ScanRequest says what to scan.
type ScanRequest struct {
	// Root is the directory that stands for "/" (empty or "/" for the live host).
	Root string
	// Full is false for an incremental scan, which may skip unchanged input.
	Full bool
	// FingerprintKey is the organisation key under which secrets are
	// fingerprinted (HMAC-SHA256). It never leaves the agent and its plugins.
	FingerprintKey []byte
	// Now is the scan's clock, so that tests can fix it.
	Now time.Time
	// Options are plugin-specific settings from the agent configuration.
	Options map[string]string
	// StateDir is a directory the plugin may keep state in between scans,
	// such as the cache that lets an incremental scan skip unchanged files.
	StateDir string
	// Log is where the plugin logs (paths and counts, never content). In a
	// plugin executable the SDK sets it to a logger whose records the agent
	// receives at their level and with their attributes; a test sets its
	// own. Use it through Logger.
	Log *slog.Logger
}

// Logger returns Log, or a logger that discards everything when the
// caller gave none: a plugin never writes to the process-wide default,
// which belongs to whoever embeds it.
func (r ScanRequest) Logger() *slog.Logger {
	if r.Log != nil {
		return r.Log
	}
	return slog.New(slog.DiscardHandler)
}

// Emit hands one event to the caller. A plugin stops scanning when Emit
// returns an error.
type Emit func(*event.Event) error

// Plugin is a discovery plugin.
type Plugin interface {
	Info() Info
	// Scan discovers identities and usage evidence and emits one event per
	// finding. Events carry no envelope: the agent completes it.
	Scan(ctx context.Context, req ScanRequest, emit Emit) error
}

// Warn tells the agent that the file at path could not be read in full and
// why, and the scan goes on: a hostile file is the host's problem, not a
// failed scan. The agent counts it in the scan's errors, names it in the
// log and in scan_completed, so that nothing at path is taken for gone.
// reason says what went wrong, never what the file holds.
func Warn(emit Emit, path, reason string) error {
	return emit(&event.Event{Type: event.TypeScanWarning, Location: path, Attrs: map[string]string{"reason": reason}})
}

// WarnErr is Warn with the reason taken from a read error (hostfs.Reason).
func WarnErr(emit Emit, path string, err error) error {
	return Warn(emit, path, hostfs.Reason(err))
}

// WarnAll sends every problem the scan's Root recorded to the agent.
func WarnAll(emit Emit, ps *hostfs.Problems) error {
	for _, p := range ps.List() {
		if err := WarnErr(emit, p.Path, p.Err); err != nil {
			return err
		}
	}
	return nil
}

// Covered tells the agent that source's records reach from from to to for
// the evidence types given: a use in that span would have been seen, so
// its absence means something. Usage plugins call it once per source in a
// full scan.
func Covered(emit Emit, source string, evidence []event.Evidence, from, to time.Time) error {
	ev := make([]string, len(evidence))
	for i, e := range evidence {
		ev[i] = string(e)
	}
	return emit(&event.Event{Type: event.TypeScanCoverage, Location: source, Attrs: map[string]string{
		"evidence": strings.Join(ev, ","), "from": from.UTC().Format(time.RFC3339), "to": to.UTC().Format(time.RFC3339)}})
}
