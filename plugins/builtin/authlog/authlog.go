// Package authlog is the built-in plugin that turns authentication logs into
// usage evidence: SSH logins (tied to the key's SHA256 fingerprint and the
// account) and su/sudo into service accounts (a person using a non-human
// identity), from /var/log/auth.log* (Debian) and /var/log/secure* (Red Hat),
// rotated and gzipped files included, and from the systemd journal on a live
// host that keeps no such files. Each use is one usage_evidence event naming
// the principal, the account, the actor, the source and the latest time.
package authlog

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"time"

	"github.com/nhiradar/nhiradar/plugins/builtin/accounts"
	"github.com/nhiradar/nhiradar/plugins/builtin/internal/options"
	"github.com/nhiradar/nhiradar/plugins/sdk"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
	"github.com/nhiradar/nhiradar/plugins/sdk/hostfs"
)

// Name is the plugin's name in events and configuration.
const Name = "authlog"

// Plugin reads authentication logs.
type Plugin struct{}

// Info implements sdk.Plugin.
func (Plugin) Info() sdk.Info {
	return sdk.Info{Name: Name, Version: "0.1.0", Description: "usage evidence from auth logs and the journal: SSH logins, su and sudo"}
}

// logGlobs are the auth log files, current and rotated.
var logGlobs = []string{"/var/log/auth.log*", "/var/log/secure*"}

// Scan implements sdk.Plugin. Options: "journal" = "auto" (default: read
// the journal where there are no auth log files: the live host's, or an
// image's /var/log/journal) or "off";
// "journal_since" = how far back the journal is read (default "-30d").
func (Plugin) Scan(ctx context.Context, req sdk.ScanRequest, emit sdk.Emit) error {
	if err := options.Check(Name, req.Options, "journal", "journal_since"); err != nil {
		return err
	}
	var problems hostfs.Problems
	root := hostfs.New(req.Root).Reporting(&problems)
	now := req.Now
	if now.IsZero() {
		now = time.Now()
	}
	list, _ := accounts.Classify(root) // what it could not read is noted on root
	service := map[string]bool{}
	for _, a := range list {
		service[a.Name] = a.Service
	}
	agg := newAggregator(service)
	var errs []error
	files, loc := logFiles(root), hostLocation(root)
	pos := loadPositions(req.StateDir, !req.Full)
	var rch *reach
	if req.Full {
		rch = &reach{} // an incremental scan reads only what is new: it proves no reach
	}
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		// A log that cannot be read is a warning: the others still count.
		root.Note(f, readLog(root, f, now, loc, pos, agg.add, rch))
	}
	// Login records: read whole in full scans only (they have no positions).
	if req.Full {
		for _, f := range wtmpFiles {
			root.Note(f, readWtmp(root, f, agg.add, rch))
		}
		root.Note("/var/log/lastlog", readLastlog(root, list, agg.add))
	}
	if err := pos.save(req.StateDir); err != nil {
		errs = append(errs, fmt.Errorf("%s: save read positions: %w", Name, err))
	}
	if len(files) == 0 && req.Options["journal"] != "off" {
		if err := readJournal(ctx, root, req.Options["journal_since"], agg.add, rch); err != nil {
			errs = append(errs, fmt.Errorf("%s: journal: %w", Name, err))
		}
	}
	for _, e := range agg.events() {
		if err := emit(e); err != nil {
			return err
		}
	}
	if err := rch.report(emit); err != nil {
		return err
	}
	errs = append(errs, sdk.WarnAll(emit, &problems))
	return errors.Join(errs...)
}

// coverEvidence are the evidence types an auth log or the journal gives.
var coverEvidence = []event.Evidence{event.EvidenceSSHLogin, event.EvidenceSu, event.EvidenceSudo}

// report tells the agent how far each source reaches.
func (r *reach) report(emit sdk.Emit) error {
	if r == nil {
		return nil
	}
	sources := make([]string, 0, len(r.spans))
	for s := range r.spans {
		sources = append(sources, s)
	}
	sort.Strings(sources)
	for _, s := range sources {
		ev := coverEvidence
		if s == "/var/log/wtmp" {
			ev = []event.Evidence{event.EvidenceLogin}
		}
		if err := sdk.Covered(emit, s, ev, r.spans[s][0], r.spans[s][1]); err != nil {
			return err
		}
	}
	return nil
}

// logFiles returns the host paths of the auth logs, oldest rotation last.
func logFiles(root hostfs.Root) []string {
	var out []string
	for _, g := range logGlobs {
		matches, _ := filepath.Glob(root.Path(g))
		sort.Strings(matches)
		for _, m := range matches {
			out = append(out, root.HostPath(m))
		}
	}
	return out
}
