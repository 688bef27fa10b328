package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/nhiradar/nhiradar/cmd/nhictl/report"
)

type reportCmd struct {
	HTML   string `help:"Write the report to FILE: one self-contained HTML page (no network, no server)." required:"" name:"html" type:"path" placeholder:"FILE"`
	Policy string `help:"Policy file deciding owners and ages (default: the built-in policy)." type:"existingfile" placeholder:"FILE"`
	Now    string `help:"Report clock for ages and agents' staleness, RFC 3339 (default now)." placeholder:"TIME"`
}

func (c *reportCmd) Run(ctx context.Context, root *cli) error { return c.run(ctx, root) }

func (c *reportCmd) run(ctx context.Context, root *cli) error {
	p, err := loadPolicy(c.Policy)
	if err != nil {
		return err
	}
	now, err := parseNow(c.Now)
	if err != nil {
		return err
	}
	if now.IsZero() {
		now = time.Now().UTC()
	}
	st, err := root.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	rows, err := inventoryRows(ctx, st, p, now)
	if err != nil {
		return err
	}
	in := report.Input{Now: now, Identities: identities(rows)}
	if err := report.Load(ctx, st, &in); err != nil {
		return err
	}
	r := report.Build(in)
	if err := writeReport(c.HTML, r); err != nil {
		return err
	}
	slog.Info("report written", "file", c.HTML, "identities", r.Summary.Identities, "findings", r.Summary.Findings,
		"tickets", len(r.Tickets), "agents", len(r.Agents))
	return nil
}

// identities keeps what the report shows of the inventory (no fingerprint).
func identities(rows []inventoryRow) []report.Identity {
	out := make([]report.Identity, 0, len(rows))
	for _, r := range rows {
		out = append(out, report.Identity{Kind: r.Kind, Principal: r.Principal, Owner: r.Owner, OwnerStatus: r.OwnerStatus,
			AgeSince: r.AgeSince, FirstSeen: r.FirstSeen, Present: r.StillPresent})
	}
	return out
}

// writeReport renders into a temporary file beside FILE and renames it, so
// a reader never opens half a report.
func writeReport(file string, r report.Report) error {
	tmp, err := os.CreateTemp(filepath.Dir(file), ".report-*.html")
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	defer os.Remove(tmp.Name()) //nolint:errcheck // gone after the rename
	if err := report.Render(tmp, r); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("report: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}
