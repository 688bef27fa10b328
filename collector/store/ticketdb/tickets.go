// Package ticketdb keeps NHI Radar's record of governance work in
// ClickHouse: tickets and their transitions (tickets, ticket_events), the
// decisions of reviews (review_decisions), the policies analyses ran under
// (policy_versions), and the tickets of the local ticket system with their
// notes (local_tickets, local_ticket_notes). They are one package because
// they are one record, of tickets and what answered them, written by the
// ticket sync and the governance round together; findings are findingdb's.
package ticketdb

import (
	"context"
	"fmt"
	"time"

	"github.com/nhiradar/nhiradar/collector/store"
)

// DB reads and writes a store's tickets, reviews and policy versions.
type DB struct{ st *store.Store }

// New returns the ticket record of st.
func New(st *store.Store) *DB { return &DB{st: st} }

// Ticket states as NHI Radar records them, whatever the system's own.
const (
	TicketOpen       = "open"        // opened, being worked
	TicketVerifying  = "verifying"   // closed by the service desk; waiting for the scans to show the fix
	TicketVerified   = "verified"    // closed, and the scans showed the fix
	TicketReopened   = "reopened"    // closed without the fix: reopened by the data
	TicketUnverified = "unverified"  // closed, and no fresh scan came within the window
	TicketSuperseded = "superseded"  // could not be reopened; a new linked ticket replaced it
	TicketEscalated  = "escalated"   // a review past its due date, sent to the owner's manager
	TicketReviewed   = "reviewed"    // a review answered: its decisions recorded
	TicketNoResponse = "no_response" // a review nobody answered: counted as no response, never as certified
)

// TicketRow is NHI Radar's record of one ticket.
type TicketRow struct {
	TicketID   string    `json:"ticket_id"`
	System     string    `json:"system"`
	ExternalID string    `json:"external_id"`
	URL        string    `json:"url"`
	Type       string    `json:"type"`
	FindingIDs []string  `json:"finding_ids"`
	NHIIDs     []string  `json:"nhi_ids"`
	State      string    `json:"state"`
	Owner      string    `json:"owner"`
	Queue      string    `json:"queue"`
	Priority   string    `json:"priority"`
	Severity   string    `json:"severity"`
	Due        time.Time `json:"due"`
	Title      string    `json:"title"`
	OpenedAt   time.Time `json:"opened_at"`
	ClosedAt   time.Time `json:"closed_at"`
	Resolution string    `json:"resolution"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Active reports whether the ticket is still with the service desk.
func (t TicketRow) Active() bool {
	return t.State == TicketOpen || t.State == TicketReopened || t.State == TicketEscalated
}

// TicketEvent is one recorded ticket transition.
type TicketEvent struct {
	TicketID string    `json:"ticket_id"`
	At       time.Time `json:"at"`
	From     string    `json:"from"`
	To       string    `json:"to"`
	Why      string    `json:"why"`
	By       string    `json:"by"`
}

const ticketCols = `ticket_id, system, external_id, url, type, finding_ids, nhi_ids, state, owner, queue, priority,
	severity, due, title, opened_at, closed_at, resolution, updated_at`

// Tickets returns the current row of every ticket, by ticket id.
func (d *DB) Tickets(ctx context.Context) ([]TicketRow, error) {
	rows, err := d.st.Conn().Query(ctx, "SELECT "+ticketCols+" FROM "+d.st.Table("tickets")+" FINAL ORDER BY ticket_id")
	if err != nil {
		return nil, fmt.Errorf("ticketdb: tickets: %w", err)
	}
	defer rows.Close()
	var out []TicketRow
	for rows.Next() {
		var t TicketRow
		if err := rows.Scan(&t.TicketID, &t.System, &t.ExternalID, &t.URL, &t.Type, &t.FindingIDs, &t.NHIIDs, &t.State,
			&t.Owner, &t.Queue, &t.Priority, &t.Severity, &t.Due, &t.Title, &t.OpenedAt, &t.ClosedAt,
			&t.Resolution, &t.UpdatedAt); err != nil {
			return nil, fmt.Errorf("ticketdb: ticket row: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RecordTicket stores a ticket's new current row and the transition that
// led to it, if any (ev.To != "").
func (d *DB) RecordTicket(ctx context.Context, t TicketRow, ev TicketEvent) error {
	var evs []TicketEvent
	if ev.To != "" {
		evs = []TicketEvent{ev}
	}
	if err := d.RecordTickets(ctx, []TicketRow{t}, evs); err != nil {
		return fmt.Errorf("ticketdb: record ticket %s: %w", t.TicketID, err)
	}
	return nil
}

// RecordTickets stores many tickets' rows and transitions in one insert
// each: ClickHouse makes a part of every insert, and a sync opening
// thousands of tickets must not make thousands of parts.
func (d *DB) RecordTickets(ctx context.Context, ts []TicketRow, evs []TicketEvent) error {
	if len(ts) > 0 {
		b, err := d.st.Conn().PrepareBatch(ctx, "INSERT INTO "+d.st.Table("tickets")+" (version, "+ticketCols+")")
		if err != nil {
			return fmt.Errorf("ticketdb: record tickets: %w", err)
		}
		version := uint64(time.Now().UnixNano())
		for _, t := range ts {
			if err := b.Append(version, t.TicketID, t.System, t.ExternalID, t.URL, t.Type,
				orEmpty(t.FindingIDs), orEmpty(t.NHIIDs), t.State, t.Owner, t.Queue, t.Priority, t.Severity, t.Due, t.Title,
				t.OpenedAt, t.ClosedAt, t.Resolution, t.UpdatedAt); err != nil {
				return fmt.Errorf("ticketdb: record ticket %s: %w", t.TicketID, err)
			}
		}
		if err := b.Send(); err != nil {
			return fmt.Errorf("ticketdb: record %d tickets: %w", len(ts), err)
		}
	}
	return d.ticketEvents(ctx, evs)
}

func (d *DB) ticketEvents(ctx context.Context, evs []TicketEvent) error {
	if len(evs) == 0 {
		return nil
	}
	b, err := d.st.Conn().PrepareBatch(ctx, "INSERT INTO "+d.st.Table("ticket_events")+" (ticket_id, at, from_state, to_state, why, by)")
	if err != nil {
		return fmt.Errorf("ticketdb: ticket events: %w", err)
	}
	for _, ev := range evs {
		if err := b.Append(ev.TicketID, ev.At, ev.From, ev.To, ev.Why, ev.By); err != nil {
			return fmt.Errorf("ticketdb: ticket event of %s: %w", ev.TicketID, err)
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("ticketdb: %d ticket events: %w", len(evs), err)
	}
	return nil
}

// TicketHistory returns a ticket's transitions, oldest first.
func (d *DB) TicketHistory(ctx context.Context, ticketID string) ([]TicketEvent, error) {
	rows, err := d.st.Conn().Query(ctx, "SELECT ticket_id, at, from_state, to_state, why, by FROM "+d.st.Table("ticket_events")+
		" WHERE ticket_id = ? ORDER BY at, to_state", ticketID)
	if err != nil {
		return nil, fmt.Errorf("ticketdb: history of ticket %s: %w", ticketID, err)
	}
	defer rows.Close()
	var out []TicketEvent
	for rows.Next() {
		var e TicketEvent
		if err := rows.Scan(&e.TicketID, &e.At, &e.From, &e.To, &e.Why, &e.By); err != nil {
			return nil, fmt.Errorf("ticketdb: history of ticket %s: %w", ticketID, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// Decision is one review decision on an identity.
type Decision struct {
	NHIID    string    `json:"nhi_id"`
	Decision string    `json:"decision"`
	By       string    `json:"by"`
	At       time.Time `json:"at"`
	TicketID string    `json:"ticket_id"`
	Note     string    `json:"note"`
}

// RecordDecisions stores review decisions.
func (d *DB) RecordDecisions(ctx context.Context, ds []Decision) error {
	if len(ds) == 0 {
		return nil
	}
	b, err := d.st.Conn().PrepareBatch(ctx, "INSERT INTO "+d.st.Table("review_decisions")+" (nhi_id, decision, by, at, ticket_id, note)")
	if err != nil {
		return fmt.Errorf("ticketdb: review decisions: %w", err)
	}
	for _, d := range ds {
		if err := b.Append(d.NHIID, d.Decision, d.By, d.At, d.TicketID, d.Note); err != nil {
			return fmt.Errorf("ticketdb: review decision on %s: %w", d.NHIID, err)
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("ticketdb: review decisions: %w", err)
	}
	return nil
}

// Decisions returns review decisions: every one of a ticket (ticketID set),
// or the latest per identity (ticketID "").
func (d *DB) Decisions(ctx context.Context, ticketID string) ([]Decision, error) {
	q := "SELECT nhi_id, argMax(decision, at), argMax(by, at), max(at), argMax(ticket_id, at), argMax(note, at) FROM " +
		d.st.Table("review_decisions") + " GROUP BY nhi_id ORDER BY nhi_id"
	var args []any
	if ticketID != "" {
		q = "SELECT nhi_id, decision, by, at, ticket_id, note FROM " + d.st.Table("review_decisions") +
			" WHERE ticket_id = ? ORDER BY nhi_id, at"
		args = append(args, ticketID)
	}
	rows, err := d.st.Conn().Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("ticketdb: review decisions: %w", err)
	}
	defer rows.Close()
	var out []Decision
	for rows.Next() {
		var d Decision
		if err := rows.Scan(&d.NHIID, &d.Decision, &d.By, &d.At, &d.TicketID, &d.Note); err != nil {
			return nil, fmt.Errorf("ticketdb: review decision row: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// PolicyChanged records the policy an analysis runs under and says since
// when it has been in force, if it replaced another (zero: the first
// policy ever seen, which changed nothing).
func (d *DB) PolicyChanged(ctx context.Context, digest, file string, now time.Time) (time.Time, error) {
	rows, err := d.st.Conn().Query(ctx, "SELECT digest, min(at) FROM "+d.st.Table("policy_versions")+" GROUP BY digest")
	if err != nil {
		return time.Time{}, fmt.Errorf("ticketdb: policy versions: %w", err)
	}
	defer rows.Close()
	seen := map[string]time.Time{}
	for rows.Next() {
		var d string
		var at time.Time
		if err := rows.Scan(&d, &at); err != nil {
			return time.Time{}, fmt.Errorf("ticketdb: policy versions: %w", err)
		}
		seen[d] = at
	}
	if err := rows.Err(); err != nil {
		return time.Time{}, err
	}
	if at, ok := seen[digest]; ok {
		if len(seen) == 1 {
			return time.Time{}, nil
		}
		return at, nil
	}
	b, err := d.st.Conn().PrepareBatch(ctx, "INSERT INTO "+d.st.Table("policy_versions")+" (digest, file, at)")
	if err != nil {
		return time.Time{}, fmt.Errorf("ticketdb: record policy version: %w", err)
	}
	if err := b.Append(digest, file, now); err != nil {
		return time.Time{}, err
	}
	if err := b.Send(); err != nil {
		return time.Time{}, fmt.Errorf("ticketdb: record policy version: %w", err)
	}
	if len(seen) == 0 {
		return time.Time{}, nil
	}
	return now, nil
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
