package governance

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nhiradar/nhiradar/analytics/policy"
	"github.com/nhiradar/nhiradar/collector/store"
	"github.com/nhiradar/nhiradar/collector/ticket/systems"
	"github.com/nhiradar/nhiradar/internal/spool"
)

// Service is the collector's side of governance: while this collector is
// the analyser (Lead runs), it runs a round every Every and soon after
// full scans arrive. A failed round is logged and the next one retries:
// nothing here stops ingest.
type Service struct {
	Store    *store.Store
	Policy   *policy.Policy
	Settings systems.Settings
	// OutboxPath is opened for each leadership term and closed after it,
	// so that the next analyser on the same machine can open it.
	OutboxPath string
	Every      time.Duration
	// AfterScans is how long a round waits after new full scans are seen,
	// so that the other plugins' and hosts' scans of the same sweep land too.
	AfterScans time.Duration
	// CompactEvery is how often the leader compacts the maintained tables
	// (store.Compact), after the first round of its term and then when a
	// round ends this long after the last compaction; 0: never.
	CompactEvery time.Duration
	// Poll is how often the leader looks for new full scans (default 10s).
	Poll    time.Duration
	Metrics *Metrics
	Log     *slog.Logger
	// Now is the analysis clock (nil: the wall clock); tests replay with it.
	Now func() time.Time
}

// Lead runs rounds until ctx ends: the Elector cancels it when this
// collector stops being the analyser.
func (s *Service) Lead(ctx context.Context) {
	if s.Every <= 0 {
		s.Every = 15 * time.Minute // 0 means "disabled" to the caller, who then never leads
	}
	t := &term{s: s}
	defer t.close()
	// A new leader does not know when the previous one last ran: run now.
	mark := t.run(ctx, ScanMark{})
	every := time.NewTimer(s.Every)
	defer every.Stop()
	poll := time.NewTicker(s.poll())
	defer poll.Stop()
	var debounce <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-poll.C:
			if debounce == nil && s.scansSince(ctx, mark) {
				debounce = time.After(s.AfterScans)
			}
			continue
		case <-every.C:
		case <-debounce:
		}
		mark = t.run(ctx, mark)
		debounce = nil
		every.Reset(s.Every)
	}
}

func (s *Service) poll() time.Duration {
	if s.Poll > 0 {
		return s.Poll
	}
	return 10 * time.Second
}

// scansSince reports whether full scans were stored since mark was
// taken. An error is logged and read as "no": the interval still brings
// the next round.
func (s *Service) scansSince(ctx context.Context, mark ScanMark) bool {
	now, err := LatestFullScans(ctx, s.Store)
	if err != nil {
		if ctx.Err() == nil {
			s.log().Warn("governance: cannot tell whether new full scans arrived", "err", err)
		}
		return false
	}
	return now != mark
}

// ScanMark says how far the stored full scans reach: the newest one's
// ingest time (the server's clock, so that every collector's ingest
// counts and agents' clocks do not matter) and how many there are, since
// ingested_at has whole seconds and a scan stored in the same second as
// the mark must still count. A merge that drops a duplicate changes the
// count too: that costs one extra round, never a missed one.
type ScanMark struct {
	Latest time.Time
	N      uint64
}

// LatestFullScans reads the mark of the full scan_completed events stored
// now; a ticket system's push (ticket_hooks) moves the mark too, so that
// the analyser polls the tickets soon after a change instead of at its
// interval.
func LatestFullScans(ctx context.Context, st *store.Store) (ScanMark, error) {
	var m ScanMark
	q := "SELECT max(ingested_at), count() + (SELECT count() FROM " + st.Table("ticket_hooks") + ") FROM " +
		st.Table("events") + " WHERE type = 'scan_completed' AND scan_full = 1"
	if err := st.Conn().QueryRow(ctx, q).Scan(&m.Latest, &m.N); err != nil {
		return m, fmt.Errorf("latest full scans: %w", err)
	}
	return m, nil
}

func (s *Service) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}

// term is one leadership term: it holds the outbox while it lasts.
type term struct {
	s         *Service
	ob        *spool.Spool
	compacted time.Time // the term's last compaction
}

func (t *term) close() {
	if t.ob != nil {
		if err := t.ob.Close(); err != nil {
			t.s.log().Warn("governance: closing the ticket outbox", "path", t.s.OutboxPath, "err", err)
		}
	}
}

// run runs one round and returns the full-scan mark it covered: the
// latest full scan stored before it started (mark unchanged if unknown),
// so that scans arriving during the round bring another.
func (t *term) run(ctx context.Context, mark ScanMark) ScanMark {
	if latest, err := LatestFullScans(ctx, t.s.Store); err == nil {
		mark = latest
	}
	start := time.Now()
	res, err := t.round(ctx)
	t.s.record(ctx, start, res, err)
	t.compact(ctx)
	return mark
}

// compact compacts the maintained tables when due. A failure is logged
// and retried after the next round: reads stay correct uncompacted, only
// slower.
func (t *term) compact(ctx context.Context) {
	every := t.s.CompactEvery
	if every <= 0 || (!t.compacted.IsZero() && time.Since(t.compacted) < every) || ctx.Err() != nil {
		return
	}
	start, now := time.Now(), time.Now()
	if t.s.Now != nil {
		now = t.s.Now()
	}
	done, err := t.s.Store.Compact(ctx, now)
	m := t.s.Metrics
	if err != nil {
		if m != nil {
			m.Compactions.WithLabelValues("error").Inc()
		}
		t.s.log().Warn("governance: compacting the maintained tables failed; the next round retries", "shards", done.Shards, "compacted", len(done.Compacted), "err", err)
		return
	}
	t.compacted = start
	if m != nil {
		m.Compactions.WithLabelValues("ok").Inc()
		m.LastCompacted.Set(float64(time.Now().Unix()))
	}
	t.s.log().Info("maintained tables compacted", "shards", done.Shards, "tables", len(done.Compacted), "superseded_scan_rows", done.ScansPruned, "unreadable_of_scans", done.UnreadablePruned,
		"took", time.Since(start).Round(time.Millisecond))
}

func (t *term) round(ctx context.Context) (Result, error) {
	if t.ob == nil {
		ob, err := OpenOutbox(t.s.OutboxPath, t.s.Log)
		if err != nil {
			return Result{}, fmt.Errorf("governance round: %w", err)
		}
		t.ob = ob
	}
	r := &Round{Store: t.s.Store, Policy: t.s.Policy, Settings: t.s.Settings, Outbox: t.ob, Log: t.s.Log,
		Now: t.s.Now, By: "collector"}
	return r.Run(ctx)
}

// record logs the round and updates the metrics.
func (s *Service) record(ctx context.Context, start time.Time, res Result, err error) {
	took := time.Since(start)
	m := s.Metrics
	if m != nil {
		m.LastRound.Set(float64(time.Now().Unix()))
		m.LastDuration.Set(took.Seconds())
	}
	if err != nil {
		if m != nil {
			m.Rounds.WithLabelValues("error").Inc()
		}
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			s.log().Info("governance round interrupted: leadership or the collector ended", "took", took)
			return
		}
		s.log().Error("governance round failed; the next round retries", "took", took, "err", err)
		return
	}
	if m != nil {
		m.Rounds.WithLabelValues("ok").Inc()
		s.countTickets(res)
	}
	s.logRound(took, res)
}

func (s *Service) countTickets(res Result) {
	m, r := s.Metrics, res.Tickets
	for outcome, n := range map[string]int{"opened": r.Opened, "closed": r.Closed, "verified": r.Verified,
		"reopened": r.Reopened, "unverified": r.Unverified} {
		m.Tickets.WithLabelValues(res.System, outcome).Add(float64(n))
	}
	m.OutboxPending.Set(float64(r.Pending))
	delayed := 0.0
	if r.Delayed != "" {
		delayed = 1
	}
	m.Delayed.WithLabelValues(res.System).Set(delayed)
}

func (s *Service) logRound(took time.Duration, res Result) {
	sum, r := res.Summary, res.Tickets
	attrs := []any{"analysis", sum.AnalysisID, "took", took, "identities", sum.Identities, "findings", sum.Observed,
		"transitions", len(sum.Transitions), "system", res.System, "opened", r.Opened, "closed", r.Closed,
		"verified", r.Verified, "reopened", r.Reopened, "unverified", r.Unverified, "pending", r.Pending}
	if r.Delayed != "" {
		s.log().Warn("governance round done; tickets delayed", append(attrs, "reason", r.Delayed)...)
		return
	}
	s.log().Info("governance round done", attrs...)
}
