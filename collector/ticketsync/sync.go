// Package ticketsync is where a ticket is executed: it takes the plan the
// policy made (analytics/tickets), opens each ticket exactly once through
// a connector via a durable outbox, polls the tickets' states, and closes
// the loop no ticket automation closes: a closed ticket's findings wait
// for full scans started after the closure, and a ticket whose problem is
// still on the hosts is reopened by the data itself.
package ticketsync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/nhiradar/nhiradar/analytics/findings"
	"github.com/nhiradar/nhiradar/analytics/tickets"
	"github.com/nhiradar/nhiradar/collector/store"
	"github.com/nhiradar/nhiradar/collector/store/ticketdb"
	"github.com/nhiradar/nhiradar/collector/ticket"
	"github.com/nhiradar/nhiradar/internal/spool"
)

// DefaultVerifyWithin is how long a closed ticket waits for fresh scans
// before it is flagged unverified (never assumed fixed).
const DefaultVerifyWithin = 48 * time.Hour

// Syncer executes ticket plans against one system.
type Syncer struct {
	Store  *store.Store
	Conn   ticket.Connector
	Retry  ticket.Retrier
	Outbox *spool.Spool
	Log    *slog.Logger
	// Now is the clock, shared with the analysis it follows (--now).
	Now          func() time.Time
	VerifyWithin time.Duration
	// NoResponse is what an unanswered review counts as: no_response
	// (default) or revoke, as the policy says.
	NoResponse string
	// Namespace goes before every correlation key the system sees, so that
	// two NHI Radar installations (or databases) can share one system.
	Namespace string
	// version orders this run's finding rows after the analysis's.
	version uint64
}

// Report is what one sync did.
type Report struct {
	Opened     int `json:"opened"`
	Closed     int `json:"closed"`
	Verified   int `json:"verified"`
	Reopened   int `json:"reopened"`
	Unverified int `json:"unverified"`
	// Pending operations are in the outbox, waiting for the system.
	Pending int `json:"pending"`
	// Delayed says why the outbox could not be drained ("" when it was).
	Delayed string `json:"delayed,omitempty"`
}

// op is one outbox entry: a ticket to open or reopen.
type op struct {
	Kind    string          `json:"kind"` // "open" or "reopen"
	Request tickets.Request `json:"request"`
	// Comment says why a ticket is reopened.
	Comment string `json:"comment,omitempty"`
}

// Sync runs one round: enqueue what the plan wants, drain the outbox,
// poll the open tickets, verify the closed ones.
func (s *Syncer) Sync(ctx context.Context, plan []tickets.Request) (Report, error) {
	now := s.now()
	s.version = uint64(now.UnixNano())
	var rep Report
	recs, err := s.records(ctx)
	if err != nil {
		return rep, err
	}
	if err := s.enqueue(plan, recs); err != nil {
		return rep, err
	}
	// Open what is new, close what the scans show fixed, learn what the
	// service desk closed, decide the closures the scans can now judge,
	// and execute the reopenings that decided.
	if err := s.drain(ctx, &rep); err != nil {
		return rep, err
	}
	for _, stage := range []func(context.Context, map[string]ticketdb.TicketRow, *Report) error{s.fixedOnHosts, s.poll, s.verify, s.overdue} {
		if recs, err = s.records(ctx); err != nil {
			return rep, err
		}
		if err := stage(ctx, recs, &rep); err != nil {
			return rep, err
		}
	}
	if err := s.drain(ctx, &rep); err != nil {
		return rep, err
	}
	rep.Pending = int(s.Outbox.Stats().Depth)
	return rep, nil
}

func (s *Syncer) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Syncer) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}

func (s *Syncer) records(ctx context.Context) (map[string]ticketdb.TicketRow, error) {
	list, err := ticketdb.New(s.Store).Tickets(ctx)
	if err != nil {
		return nil, fmt.Errorf("ticket sync: %w", err)
	}
	out := make(map[string]ticketdb.TicketRow, len(list))
	for _, t := range list {
		out[t.TicketID] = t
	}
	return out, nil
}

// enqueue puts every planned ticket that has no record yet into the
// outbox, once: the outbox survives a crash, and executing an entry
// twice finds the ticket the first run made.
func (s *Syncer) enqueue(plan []tickets.Request, recs map[string]ticketdb.TicketRow) error {
	pending, err := s.pending()
	if err != nil {
		return err
	}
	var add []spool.Record
	for _, a := range Actions(plan, recs) {
		if !pending[a.Request.Key] {
			add = append(add, entry(op{Kind: a.Kind, Request: a.Request, Comment: a.Comment}))
		}
	}
	return s.append(add)
}

// Action is what the sync will do for one planned ticket.
type Action struct {
	Kind    string // "open" or "reopen"
	Request tickets.Request
	Comment string
}

// Actions says what the plan asks of the ticket system given the tickets
// recorded: open the new ones, reopen a verified one whose problem is
// back; a ticket still being worked needs nothing. `nhictl analyze
// --dry-run` prints it.
func Actions(plan []tickets.Request, recs map[string]ticketdb.TicketRow) []Action {
	var out []Action
	for _, r := range plan {
		rec, ok := recs[r.Key]
		switch {
		case !ok:
			out = append(out, Action{Kind: "open", Request: r})
		case rec.State == ticketdb.TicketVerified:
			// Fixed and verified once, and back since: the same ticket
			// again, not a second one.
			out = append(out, Action{Kind: "reopen", Request: r,
				Comment: "NHI Radar reopened this ticket: the problem is back on the hosts. " + r.Body})
		}
	}
	return out
}

func (s *Syncer) append(recs []spool.Record) error {
	if err := s.Outbox.Append(recs...); err != nil {
		return fmt.Errorf("ticket sync: outbox: %w", err)
	}
	return nil
}

func entry(o op) spool.Record {
	b, _ := json.Marshal(o) // plain data: cannot fail
	return spool.Record{Key: []byte(o.Request.Key), Value: b}
}

func (s *Syncer) pending() (map[string]bool, error) {
	list, err := s.Outbox.Peek(1<<20, 1<<30)
	if err != nil {
		return nil, fmt.Errorf("ticket sync: outbox: %w", err)
	}
	out := map[string]bool{}
	for _, e := range list {
		out[string(e.Key)] = true
	}
	return out, nil
}

// drain executes the outbox in order. A system that stays unreachable
// after the retries stops the drain: its tickets wait, none is lost, and
// the delay is reported and logged with the system and the reason.
func (s *Syncer) drain(ctx context.Context, rep *Report) error {
	list, err := s.Outbox.Peek(1<<20, 1<<30)
	if err != nil {
		return fmt.Errorf("ticket sync: outbox: %w", err)
	}
	d := &drainer{s: s, rep: rep, rec: s.startRecorder(ctx, rep)}
	for _, e := range list {
		var o op
		if err := json.Unmarshal(e.Value, &o); err != nil {
			s.log().Error("ticket outbox entry unreadable; dropped", "key", string(e.Key), "err", err)
			if err := s.remove(e.Seq); err != nil {
				return d.abort(err)
			}
			continue
		}
		err := d.execute(ctx, e.Seq, o)
		if ticket.IsRetryable(err) || errors.Is(err, context.Canceled) {
			rep.Delayed = fmt.Sprintf("%s: %v", s.Conn.Name(), err)
			s.log().Warn("tickets delayed: the ticket system is unreachable; they stay in the outbox",
				"system", s.Conn.Name(), "pending", len(list), "err", err)
			return d.finish()
		}
		var stored *storeError
		if errors.As(err, &stored) {
			return d.abort(stored.err)
		}
		if err != nil {
			s.log().Error("ticket operation refused by the ticket system; kept in the outbox",
				"system", s.Conn.Name(), "key", o.Request.Key, "err", err)
		}
	}
	return d.finish()
}

// storeError is a failure of the store (or the outbox) rather than of the
// ticket system: it ends the sync instead of skipping the entry.
type storeError struct{ err error }

func (e *storeError) Error() string { return e.err.Error() }
func (e *storeError) Unwrap() error { return e.err }

func (s *Syncer) remove(seqs ...uint64) error {
	if err := s.Outbox.RemoveEntries(seqs...); err != nil {
		return fmt.Errorf("ticket sync: outbox: %w", err)
	}
	return nil
}

// open finds the ticket by its key before creating it: a crash between a
// create and its record, or an entry executed twice, never makes a second
// ticket.
func (s *Syncer) open(ctx context.Context, r tickets.Request) (ticket.Ticket, string, error) {
	var t ticket.Ticket
	how := "opened"
	// Find before every attempt: a create whose answer was lost has made
	// the ticket, and the retry must find it rather than make another.
	err := s.Retry.Do(ctx, func(ctx context.Context) error {
		found, err := s.Conn.Find(ctx, s.remoteKey(r.Key))
		if err != nil {
			return err
		}
		if found != nil {
			t, how = *found, "found already opened (an earlier attempt's answer was lost)"
			return nil
		}
		t, err = s.Conn.Create(ctx, s.request(r))
		return err
	})
	return t, how, err
}

func (s *Syncer) remoteKey(k string) string {
	if s.Namespace == "" {
		return k
	}
	return s.Namespace + ":" + k
}

// request renders the plan's request as connectors see it.
func (s *Syncer) request(r tickets.Request) ticket.Request {
	return ticket.Request{Key: s.remoteKey(r.Key), Title: r.Title, Body: r.Body, Priority: ticket.Priority(r.Priority),
		Queue: r.Queue, Due: r.Due, Labels: r.Labels, Type: ticket.Type(r.Type)}
}

// poll asks the system for the state of every ticket it is working on; a
// ticket it has closed moves to verifying, and so do its findings.
func (s *Syncer) poll(ctx context.Context, recs map[string]ticketdb.TicketRow, rep *Report) error {
	for _, rec := range sorted(recs) {
		if !rec.Active() || rec.System != s.Conn.Name() {
			continue
		}
		var t ticket.Ticket
		err := s.Retry.Do(ctx, func(ctx context.Context) (err error) {
			t, err = s.Conn.Get(ctx, rec.ExternalID)
			return err
		})
		if err != nil {
			s.log().Warn("ticket state unknown: the ticket system did not answer", "system", s.Conn.Name(), "ticket", rec.ExternalID, "err", err)
			continue
		}
		if !t.State.Done() {
			continue
		}
		if err := s.closed(ctx, rec, t); err != nil {
			return err
		}
		rep.Closed++
	}
	return nil
}

func (s *Syncer) closed(ctx context.Context, rec ticketdb.TicketRow, t ticket.Ticket) error {
	if rec.Type == tickets.Recertification {
		return s.reviewed(ctx, rec, t.Resolution, "the reviewer (closed in "+s.Conn.Name()+")")
	}
	now, closedAt := s.now(), t.UpdatedAt.UTC()
	if closedAt.IsZero() || closedAt.After(now) {
		closedAt = now // the system did not say when: from now on
	}
	from := rec.State
	rec.State, rec.ClosedAt, rec.Resolution, rec.UpdatedAt = ticketdb.TicketVerifying, closedAt, t.Resolution, now
	why := fmt.Sprintf("closed in %s (%s); waiting for full scans of the hosts started after %s: a closed ticket is not the proof",
		s.Conn.Name(), orNone(t.Resolution), closedAt.Format(time.RFC3339))
	if err := ticketdb.New(s.Store).RecordTicket(ctx, rec, ticketdb.TicketEvent{TicketID: rec.TicketID, At: now, From: from, To: rec.State, Why: why, By: "ticket-sync"}); err != nil {
		return err
	}
	s.log().Info("ticket closed; verifying against the next scans", "system", s.Conn.Name(), "ticket", rec.ExternalID)
	return s.moveFindings(ctx, rec.FindingIDs, []string{findings.Open, findings.Ticketed, findings.Reopened}, findings.Verifying,
		fmt.Sprintf("ticket %s closed (%s); waiting for fresh full scans", rec.ExternalID, orNone(t.Resolution)))
}

func orNone(s string) string {
	if s == "" {
		return "no resolution given"
	}
	return s
}

func sorted(recs map[string]ticketdb.TicketRow) []ticketdb.TicketRow {
	out := make([]ticketdb.TicketRow, 0, len(recs))
	for _, r := range recs {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].TicketID < out[j].TicketID })
	return out
}
