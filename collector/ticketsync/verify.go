package ticketsync

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/nhiradar/nhiradar/analytics/findings"
	"github.com/nhiradar/nhiradar/analytics/tickets"
	"github.com/nhiradar/nhiradar/collector/store/findingdb"
	"github.com/nhiradar/nhiradar/collector/store/inventory"
	"github.com/nhiradar/nhiradar/collector/store/ticketdb"
	"github.com/nhiradar/nhiradar/collector/ticket"
	"github.com/nhiradar/nhiradar/internal/spool"
)

// verify decides every closed ticket once the data can: when each of its
// hosts has a complete full scan started after the closure, a ticket whose
// findings all resolved is verified; one with a finding that still holds
// (the analysis that just ran saw it in those scans) is reopened. No fresh
// scans within VerifyWithin: the ticket is flagged unverified, never
// assumed fixed.
func (s *Syncer) verify(ctx context.Context, recs map[string]ticketdb.TicketRow, rep *Report) error {
	all, err := findingdb.New(s.Store).Findings(ctx)
	if err != nil {
		return fmt.Errorf("ticket sync: %w", err)
	}
	byID := map[string]findings.Finding{}
	for _, f := range all {
		byID[f.FindingID] = f
	}
	for _, rec := range sorted(recs) {
		if rec.State != ticketdb.TicketVerifying && rec.State != ticketdb.TicketUnverified {
			continue
		}
		if err := s.verifyOne(ctx, rec, byID, rep); err != nil {
			return err
		}
	}
	return nil
}

func (s *Syncer) verifyOne(ctx context.Context, rec ticketdb.TicketRow, byID map[string]findings.Finding, rep *Report) error {
	if len(rec.FindingIDs) == 0 && len(rec.NHIIDs) > 0 {
		return s.verifyRevoked(ctx, rec, rep)
	}
	fs := make([]findings.Finding, 0, len(rec.FindingIDs))
	for _, id := range rec.FindingIDs {
		if f, ok := byID[id]; ok {
			fs = append(fs, f)
		}
	}
	hosts := hostsOf(fs)
	fresh, err := inventory.New(s.Store).FreshScans(ctx, hosts, rec.ClosedAt)
	if err != nil {
		return fmt.Errorf("ticket sync: %w", err)
	}
	if stale := staleHosts(hosts, fresh); len(stale) > 0 {
		return s.waiting(ctx, rec, stale, rep)
	}
	var holding []findings.Finding
	for _, f := range fs {
		if f.State != findings.Resolved {
			holding = append(holding, f)
		}
	}
	if len(holding) == 0 {
		return s.verified(ctx, rec, hosts, rep)
	}
	return s.backToWork(ctx, rec, holding, hosts)
}

func hostsOf(fs []findings.Finding) []string {
	seen := map[string]bool{}
	var out []string
	for _, f := range fs {
		for _, h := range f.Hosts {
			if !seen[h] {
				seen[h] = true
				out = append(out, h)
			}
		}
	}
	sort.Strings(out)
	return out
}

func staleHosts(hosts []string, fresh map[string]bool) []string {
	var out []string
	for _, h := range hosts {
		if !fresh[h] {
			out = append(out, h)
		}
	}
	return out
}

// waiting flags, once, a ticket whose hosts have not been scanned since
// its closure within the window.
func (s *Syncer) waiting(ctx context.Context, rec ticketdb.TicketRow, stale []string, rep *Report) error {
	within := s.VerifyWithin
	if within <= 0 {
		within = DefaultVerifyWithin
	}
	now := s.now()
	if rec.State == ticketdb.TicketUnverified || now.Sub(rec.ClosedAt) < within {
		return nil
	}
	msg := fmt.Sprintf("NHI Radar: no full scan of %s since this ticket was closed %s ago; the fix is unverified, not assumed.",
		strings.Join(stale, ", "), within)
	if err := s.comment(ctx, rec, msg); err != nil {
		return err
	}
	from := rec.State
	rec.State, rec.UpdatedAt = ticketdb.TicketUnverified, now
	rep.Unverified++
	return ticketdb.New(s.Store).RecordTicket(ctx, rec, ticketdb.TicketEvent{TicketID: rec.TicketID, At: now, From: from, To: rec.State, Why: msg, By: "ticket-sync"})
}

func (s *Syncer) verified(ctx context.Context, rec ticketdb.TicketRow, hosts []string, rep *Report) error {
	now := s.now()
	msg := fmt.Sprintf("NHI Radar verified the fix: the full scans of %s started after the closure no longer show the problem.", strings.Join(hosts, ", "))
	if err := s.comment(ctx, rec, msg); err != nil {
		return err
	}
	from := rec.State
	rec.State, rec.UpdatedAt = ticketdb.TicketVerified, now
	rep.Verified++
	s.log().Info("ticket verified by the scans", "system", s.Conn.Name(), "ticket", rec.ExternalID)
	return ticketdb.New(s.Store).RecordTicket(ctx, rec, ticketdb.TicketEvent{TicketID: rec.TicketID, At: now, From: from, To: rec.State, Why: msg, By: "ticket-sync"})
}

// backToWork reopens a ticket closed without the fix, through the outbox
// like every remote write, and reopens its findings.
func (s *Syncer) backToWork(ctx context.Context, rec ticketdb.TicketRow, holding []findings.Finding, hosts []string) error {
	var ev []string
	ids := make([]string, 0, len(holding))
	for _, f := range holding {
		ids = append(ids, f.FindingID)
		if len(f.Evidence) > 0 {
			ev = append(ev, f.FindingID+": "+f.Evidence[0])
		}
	}
	msg := fmt.Sprintf("NHI Radar reopened this ticket: the closure was not backed by the data. The full scans of %s started after it still show: %s",
		strings.Join(hosts, ", "), strings.Join(ev, "; "))
	if err := s.moveFindings(ctx, ids, []string{findings.Verifying}, findings.Reopened,
		fmt.Sprintf("ticket %s was closed but the full scans after it still show the problem", rec.ExternalID)); err != nil {
		return err
	}
	r := tickets.Request{Key: rec.TicketID, Type: rec.Type, Title: rec.Title, Priority: rec.Priority, Severity: rec.Severity,
		Queue: rec.Queue, Due: rec.Due, Owner: rec.Owner, FindingIDs: rec.FindingIDs,
		Body: msg, Labels: []string{"nhi-radar", "nhi-" + rec.TicketID}}
	return s.append([]spool.Record{entry(op{Kind: "reopen", Request: r, Comment: msg})})
}

// reopen executes an outbox reopen: the system reopens the ticket, or
// where it cannot (a ServiceNow incident Closed), a new ticket linked to
// the old one replaces it.
func (s *Syncer) reopen(ctx context.Context, o op, rep *Report) error {
	recs, err := s.records(ctx)
	if err != nil {
		return err
	}
	rec, ok := recs[o.Request.Key]
	if !ok || rec.Active() {
		return nil // nothing to reopen, or done by an earlier run
	}
	var t ticket.Ticket
	err = s.Retry.Do(ctx, func(ctx context.Context) (err error) {
		t, err = s.Conn.Reopen(ctx, rec.ExternalID, o.Comment)
		return err
	})
	how := "reopened " + rec.ExternalID
	if errors.Is(err, ticket.ErrCannotReopen) {
		t, err = s.replace(ctx, rec, o)
		how = fmt.Sprintf("%s cannot be reopened; %s opened in its place", rec.ExternalID, t.ExternalID)
	}
	if err != nil {
		return err
	}
	now := s.now()
	from := rec.State
	rec.State, rec.ExternalID, rec.UpdatedAt, rec.ClosedAt, rec.Resolution = ticketdb.TicketReopened, t.ExternalID, now, time.Time{}, ""
	rep.Reopened++
	s.log().Info("ticket reopened", "why", o.Comment, "system", s.Conn.Name(), "ticket", t.ExternalID)
	return ticketdb.New(s.Store).RecordTicket(ctx, rec, ticketdb.TicketEvent{TicketID: rec.TicketID, At: now, From: from, To: rec.State,
		Why: how + ": " + o.Comment, By: "ticket-sync"})
}

func (s *Syncer) replace(ctx context.Context, rec ticketdb.TicketRow, o op) (ticket.Ticket, error) {
	req := s.request(o.Request)
	req.Key = s.remoteKey(rec.TicketID + "-" + fmt.Sprint(s.now().Unix()))
	req.Body = fmt.Sprintf("Replaces %s, closed without the fix.\n\n%s", rec.ExternalID, o.Comment)
	var t ticket.Ticket
	err := s.Retry.Do(ctx, func(ctx context.Context) (err error) {
		t, err = s.Conn.Create(ctx, req)
		return err
	})
	return t, err
}

func (s *Syncer) comment(ctx context.Context, rec ticketdb.TicketRow, text string) error {
	err := s.Retry.Do(ctx, func(ctx context.Context) error { return s.Conn.Comment(ctx, rec.ExternalID, text) })
	if err != nil {
		return fmt.Errorf("ticket sync: comment on %s: %w", rec.ExternalID, err)
	}
	return nil
}

// moveFindings records a ticket-driven state change of the findings now
// in one of the from states.
func (s *Syncer) moveFindings(ctx context.Context, ids, from []string, to, why string) error {
	whys := make(map[string]string, len(ids))
	for _, id := range ids {
		whys[id] = why
	}
	return s.moveFindingsEach(ctx, whys, from, to)
}

// moveFindingsEach is moveFindings with a reason per finding id.
func (s *Syncer) moveFindingsEach(ctx context.Context, whys map[string]string, from []string, to string) error {
	all, err := findingdb.New(s.Store).Findings(ctx)
	if err != nil {
		return fmt.Errorf("ticket sync: %w", err)
	}
	now := s.now()
	var rows []findings.Finding
	var ts []findings.Transition
	for _, f := range all {
		why, want := whys[f.FindingID]
		if !want || !contains(from, f.State) {
			continue
		}
		ts = append(ts, findings.Transition{FindingID: f.FindingID, From: f.State, To: to, At: now, Why: why, By: "ticket-sync"})
		f.State = to
		rows = append(rows, f)
	}
	s.version++
	return findingdb.New(s.Store).WriteFindings(ctx, s.version, rows, ts, "ticket-sync@"+now.Format(time.RFC3339Nano))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// fixedOnHosts closes the tickets still being worked whose findings the
// scans already show resolved: the fix came before the closure, and the
// evidence closes the ticket.
func (s *Syncer) fixedOnHosts(ctx context.Context, recs map[string]ticketdb.TicketRow, rep *Report) error {
	all, err := findingdb.New(s.Store).Findings(ctx)
	if err != nil {
		return fmt.Errorf("ticket sync: %w", err)
	}
	byID := map[string]findings.Finding{}
	for _, f := range all {
		byID[f.FindingID] = f
	}
	for _, rec := range sorted(recs) {
		if !rec.Active() || rec.System != s.Conn.Name() || !allResolved(rec.FindingIDs, byID) {
			continue
		}
		var ev []string
		for _, id := range rec.FindingIDs {
			if e := byID[id].Evidence; len(e) > 0 {
				ev = append(ev, id+": "+e[len(e)-1])
			}
		}
		note := "NHI Radar: the scans show the problem fixed — " + strings.Join(ev, "; ")
		if err := s.Retry.Do(ctx, func(ctx context.Context) error { return s.Conn.Close(ctx, rec.ExternalID, "fixed", note) }); err != nil {
			s.log().Warn("could not close a fixed ticket; will try again", "system", s.Conn.Name(), "ticket", rec.ExternalID, "err", err)
			continue
		}
		now := s.now()
		from := rec.State
		rec.State, rec.ClosedAt, rec.Resolution, rec.UpdatedAt = ticketdb.TicketVerified, now, "fixed", now
		rep.Verified++
		if err := ticketdb.New(s.Store).RecordTicket(ctx, rec, ticketdb.TicketEvent{TicketID: rec.TicketID, At: now, From: from, To: rec.State, Why: note, By: "ticket-sync"}); err != nil {
			return err
		}
	}
	return nil
}

func allResolved(ids []string, byID map[string]findings.Finding) bool {
	for _, id := range ids {
		if f, ok := byID[id]; !ok || f.State != findings.Resolved {
			return false
		}
	}
	return len(ids) > 0
}

// verifyRevoked judges a revocation by the identities themselves: once
// fresh full scans of their hosts are in, gone means verified, still
// present means the ticket goes back to work.
func (s *Syncer) verifyRevoked(ctx context.Context, rec ticketdb.TicketRow, rep *Report) error {
	inv, err := inventory.New(s.Store).Rows(ctx)
	if err != nil {
		return fmt.Errorf("ticket sync: %w", err)
	}
	var hosts []string
	var present []string
	for _, row := range inv {
		if !contains(rec.NHIIDs, row.NHIID) {
			continue
		}
		hosts = append(hosts, row.Hosts...)
		if row.StillPresent {
			present = append(present, row.NHIID+" on "+strings.Join(row.PresentHosts, ", "))
		}
	}
	sort.Strings(hosts)
	hosts = slices.Compact(hosts)
	fresh, err := inventory.New(s.Store).FreshScans(ctx, hosts, rec.ClosedAt)
	if err != nil {
		return fmt.Errorf("ticket sync: %w", err)
	}
	if stale := staleHosts(hosts, fresh); len(stale) > 0 {
		return s.waiting(ctx, rec, stale, rep)
	}
	if len(present) == 0 {
		return s.verified(ctx, rec, hosts, rep)
	}
	msg := fmt.Sprintf("NHI Radar reopened this ticket: the closure was not backed by the data. The full scans of %s started after it still show %s",
		strings.Join(hosts, ", "), strings.Join(present, "; "))
	r := tickets.Request{Key: rec.TicketID, Type: rec.Type, Title: rec.Title, Priority: rec.Priority, Severity: rec.Severity,
		Queue: rec.Queue, Due: rec.Due, Owner: rec.Owner, NHIIDs: rec.NHIIDs, Body: msg}
	return s.append([]spool.Record{entry(op{Kind: "reopen", Request: r, Comment: msg})})
}
