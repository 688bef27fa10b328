// Package governance runs governance rounds: one analysis of the
// inventory, the ticket plan its findings call for, and the ticket sync
// that executes the plan. nhictl analyze and the collector's scheduled
// rounds both go through it, so a round means the same thing everywhere.
// In the collector, Elector makes sure one collector of a group runs them.
package governance

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/nhiradar/nhiradar/analytics/analyze"
	"github.com/nhiradar/nhiradar/analytics/detect"
	"github.com/nhiradar/nhiradar/analytics/findings"
	"github.com/nhiradar/nhiradar/analytics/policy"
	"github.com/nhiradar/nhiradar/analytics/tickets"
	"github.com/nhiradar/nhiradar/collector/store"
	"github.com/nhiradar/nhiradar/collector/store/findingdb"
	"github.com/nhiradar/nhiradar/collector/store/ticketdb"
	"github.com/nhiradar/nhiradar/collector/ticket"
	"github.com/nhiradar/nhiradar/collector/ticket/local"
	"github.com/nhiradar/nhiradar/collector/ticket/systems"
	"github.com/nhiradar/nhiradar/collector/ticketsync"
	"github.com/nhiradar/nhiradar/internal/spool"
)

// OutboxMaxBytes bounds a ticket outbox; a full one refuses new tickets
// (spool.ErrFull) rather than dropping any.
const OutboxMaxBytes = 256 << 20

// Round is one governance round's configuration.
type Round struct {
	Store  *store.Store
	Policy *policy.Policy
	// Settings are the ticket system's connection settings (zero: local).
	Settings systems.Settings
	Outbox   *spool.Spool
	Log      *slog.Logger
	// Now is the analysis clock; nil means the wall clock.
	Now func() time.Time
	// By names the actor in the findings' transitions ("analyze" when empty).
	By string
}

// Result is what one round did.
type Result struct {
	Summary *analyze.Summary
	System  string
	Tickets ticketsync.Report
}

// Run analyses, plans and syncs once. An error names the stage it stopped in.
func (r *Round) Run(ctx context.Context) (Result, error) {
	var res Result
	var now time.Time
	if r.Now != nil {
		now = r.Now()
	}
	sum, err := analyze.Run(ctx, r.Store, analyze.Options{Policy: r.Policy, Now: now, By: r.By})
	if err != nil {
		return res, fmt.Errorf("governance round: %w", err)
	}
	res.Summary = sum
	plan, err := Plan(ctx, r.Store, r.Policy, sum.Now)
	if err != nil {
		return res, fmt.Errorf("governance round: %w", err)
	}
	res.System, res.Tickets, err = Sync(ctx, SyncConfig{Store: r.Store, Policy: r.Policy, Settings: r.Settings,
		Outbox: r.Outbox, Log: r.Log}, plan, sum.Now)
	if err != nil {
		return res, fmt.Errorf("governance round: %w", err)
	}
	return res, nil
}

// Plan reads the current findings and returns the tickets they call for:
// remediation tickets, and the recertification reviews due now.
func Plan(ctx context.Context, st *store.Store, p *policy.Policy, now time.Time) ([]tickets.Request, error) {
	fs, err := findingdb.New(st).Findings(ctx)
	if err != nil {
		return nil, fmt.Errorf("ticket plan: %w", err)
	}
	plan := tickets.Plan(fs, p, now)
	reviews, err := reviewPlan(ctx, st, p, fs, now)
	if err != nil {
		return nil, fmt.Errorf("ticket plan: reviews: %w", err)
	}
	return append(plan, reviews...), nil
}

// reviewPlan plans the recertification tickets due now, leaving out the
// identities already under review.
func reviewPlan(ctx context.Context, st *store.Store, p *policy.Policy, fs []findings.Finding, now time.Time) ([]tickets.Request, error) {
	ids, err := detect.LoadIdentities(ctx, detect.Source{Conn: st.Conn(), Table: st.Table})
	if err != nil {
		return nil, err
	}
	decided, err := ticketdb.New(st).Decisions(ctx, "")
	if err != nil {
		return nil, err
	}
	past := map[string]tickets.Past{}
	for _, d := range decided {
		past[d.NHIID] = tickets.Past{Decision: d.Decision, At: d.At}
	}
	recs, err := ticketdb.New(st).Tickets(ctx)
	if err != nil {
		return nil, err
	}
	inReview := map[string]bool{}
	for _, t := range recs {
		if t.Type == tickets.Recertification && t.Active() {
			for _, id := range t.NHIIDs {
				inReview[id] = true
			}
		}
	}
	ch, err := changes(ctx, st, p, now)
	if err != nil {
		return nil, err
	}
	return tickets.Reviews(tickets.SubjectsOf(ids, p, fs, past, ch), inReview, now, p.Ticketing.ReviewPerIdentity), nil
}

// changes gathers what makes a certified identity's review due early
// beyond its findings: expired exceptions and a new policy.
func changes(ctx context.Context, st *store.Store, p *policy.Policy, now time.Time) (tickets.Changes, error) {
	unexempted, err := findingdb.New(st).Unexempted(ctx)
	if err != nil {
		return tickets.Changes{}, err
	}
	since, err := ticketdb.New(st).PolicyChanged(ctx, policyDigest(p), p.File, now)
	if err != nil {
		return tickets.Changes{}, err
	}
	return tickets.Changes{Unexempted: unexempted, Policy: since}, nil
}

// policyDigest names the policy's content: the file's bytes, or the
// built-in profile.
func policyDigest(p *policy.Policy) string {
	b, err := os.ReadFile(p.File)
	if err != nil {
		return "builtin:" + p.Profile
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// SyncConfig is what a ticket sync needs besides the plan.
type SyncConfig struct {
	Store    *store.Store
	Policy   *policy.Policy
	Settings systems.Settings
	Outbox   *spool.Spool
	Log      *slog.Logger
}

// Sync executes plan against the system the policy names, at the
// analysis clock now, and returns that system's name and the report.
func Sync(ctx context.Context, c SyncConfig, plan []tickets.Request, now time.Time) (string, ticketsync.Report, error) {
	clock := func() time.Time { return now } // a replay (--now) files its tickets at its own time
	conn, err := Connector(c.Policy, c.Settings, c.Store, clock)
	if err != nil {
		return "", ticketsync.Report{}, err
	}
	s := &ticketsync.Syncer{Store: c.Store, Conn: conn, Outbox: c.Outbox, Log: c.Log, Now: clock,
		NoResponse: c.Policy.Ticketing.NoResponse}
	if conn.Name() != local.Name {
		s.Namespace = c.Store.Database() // a shared system keeps this database's tickets apart
	}
	rep, err := s.Sync(ctx, plan)
	if err != nil {
		return conn.Name(), rep, fmt.Errorf("ticket sync with %s: %w", conn.Name(), err)
	}
	return conn.Name(), rep, nil
}

// Connector opens the system the policy names; every system but local
// needs its connection settings.
func Connector(p *policy.Policy, s systems.Settings, st *store.Store, now func() time.Time) (ticket.Connector, error) {
	conn, err := systems.Open(p.Ticketing.System, s, st, now)
	if err != nil {
		return nil, fmt.Errorf("ticket system: %w", err)
	}
	return conn, nil
}

// LoadSettings reads the ticketing connection settings; "" means none
// (enough for the local system).
func LoadSettings(file string) (systems.Settings, error) {
	if file == "" {
		return systems.Settings{}, nil
	}
	return systems.Load(file)
}

// OutboxPath is the outbox of database db under dir, or under the user's
// cache directory when dir is empty: one outbox per database, shared by
// nhictl and the collector on one machine (the file lock serialises them).
func OutboxPath(dir, db string) (string, error) {
	if dir == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			return "", fmt.Errorf("outbox: no state directory (%w); pass the outbox file", err)
		}
		dir = filepath.Join(cache, "nhiradar")
	}
	return filepath.Join(dir, "outbox-"+db+".db"), nil
}

// OpenOutbox opens a strict outbox at path: nothing in it is ever dropped.
func OpenOutbox(path string, log *slog.Logger) (*spool.Spool, error) {
	ob, err := spool.OpenStrict(path, OutboxMaxBytes, log)
	if err != nil {
		return nil, fmt.Errorf("outbox %s: %w", path, err)
	}
	return ob, nil
}
