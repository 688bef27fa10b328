package ticketsync

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/nhiradar/nhiradar/analytics/tickets"
	"github.com/nhiradar/nhiradar/collector/store/ticketdb"
	"github.com/nhiradar/nhiradar/internal/spool"
)

// noResponseAfter is how long past its due date an escalated review waits
// before it counts as no response.
const noResponseAfter = 7 * 24 * time.Hour

// reviewed applies a closed review: every identity answered in the ticket
// keeps its answer, the others take the ticket's resolution — certified
// or revoke — and anything else is no response, never a certification.
// Each revocation becomes a remediation ticket.
func (s *Syncer) reviewed(ctx context.Context, rec ticketdb.TicketRow, resolution, by string) error {
	now := s.now()
	answered, err := ticketdb.New(s.Store).Decisions(ctx, rec.TicketID)
	if err != nil {
		return fmt.Errorf("ticket sync: %w", err)
	}
	done := map[string]string{}
	for _, d := range answered {
		done[d.NHIID] = d.Decision
	}
	decision, state := decisionOf(resolution), ticketdb.TicketReviewed
	if decision == tickets.NoResponse {
		state = ticketdb.TicketNoResponse
	}
	var ds []ticketdb.Decision
	for _, id := range rec.NHIIDs {
		if _, ok := done[id]; ok {
			continue
		}
		done[id] = decision
		ds = append(ds, ticketdb.Decision{NHIID: id, Decision: decision, By: by, At: now, TicketID: rec.TicketID,
			Note: "ticket closed with resolution " + orNone(resolution)})
	}
	if err := ticketdb.New(s.Store).RecordDecisions(ctx, ds); err != nil {
		return err
	}
	if err := s.revocations(rec, done); err != nil {
		return err
	}
	from := rec.State
	rec.State, rec.ClosedAt, rec.Resolution, rec.UpdatedAt = state, now, resolution, now
	why := fmt.Sprintf("review closed: %s", summarise(done))
	return ticketdb.New(s.Store).RecordTicket(ctx, rec, ticketdb.TicketEvent{TicketID: rec.TicketID, At: now, From: from, To: state, Why: why, By: "ticket-sync"})
}

func decisionOf(resolution string) string {
	switch strings.ToLower(strings.TrimSpace(resolution)) {
	case "certified", "certify", "accept", "accepted":
		return tickets.Certify
	case "revoke", "revoked":
		return tickets.Revoke
	}
	return tickets.NoResponse
}

func summarise(done map[string]string) string {
	n := map[string]int{}
	for _, d := range done {
		n[d]++
	}
	return fmt.Sprintf("%d certified, %d to revoke, %d without response", n[tickets.Certify], n[tickets.Revoke], n[tickets.NoResponse])
}

// revocations opens one remediation ticket per identity the reviewer
// decided to revoke.
func (s *Syncer) revocations(rec ticketdb.TicketRow, done map[string]string) error {
	var add []spool.Record
	for _, id := range rec.NHIIDs {
		if done[id] != tickets.Revoke {
			continue
		}
		r := tickets.Request{Key: "rv-" + id, Type: tickets.Remediation, Severity: "high", Priority: rec.Priority,
			Queue: rec.Queue, Owner: rec.Owner, Due: s.now().Add(7 * 24 * time.Hour).Truncate(24 * time.Hour),
			NHIIDs: []string{id}, Labels: []string{"nhi-radar", "nhi-revoke"},
			Title: "[NHI Radar] revoke identity " + id + " (review " + rec.ExternalID + ")",
			Body: fmt.Sprintf("What to do: revoke the credential at its issuer and remove it from every host it is on.\n"+
				"Why: the review %s decided to revoke identity %s.\n", rec.ExternalID, id)}
		add = append(add, entry(op{Kind: "open", Request: r}))
	}
	return s.append(add)
}

// overdue escalates reviews past their due date to the owner's manager,
// once, and a week later counts them as no response.
func (s *Syncer) overdue(ctx context.Context, recs map[string]ticketdb.TicketRow, rep *Report) error {
	now := s.now()
	for _, rec := range sorted(recs) {
		if rec.Type != tickets.Recertification || !rec.Active() || rec.Due.IsZero() || now.Before(rec.Due) {
			continue
		}
		if rec.State == ticketdb.TicketEscalated {
			if now.Sub(rec.Due) < noResponseAfter {
				continue
			}
			msg := "NHI Radar: no answer a week past the due date; the identities not answered count as no response (not certified) and go to the owner's manager at the next review."
			outcome := tickets.NoResponse
			if s.NoResponse == tickets.Revoke {
				msg = "NHI Radar: no answer a week past the due date; as the policy says, the identities not answered are to be revoked."
				outcome = tickets.Revoke
			}
			if err := s.comment(ctx, rec, msg); err != nil {
				return err
			}
			if err := s.reviewed(ctx, rec, outcome, "nobody (no response)"); err != nil {
				return err
			}
			continue
		}
		msg := fmt.Sprintf("NHI Radar: this review was due %s and is escalated to the manager of %s.", rec.Due.Format("2006-01-02"), rec.Owner)
		if err := s.comment(ctx, rec, msg); err != nil {
			return err
		}
		from := rec.State
		rec.State, rec.UpdatedAt = ticketdb.TicketEscalated, now
		if err := ticketdb.New(s.Store).RecordTicket(ctx, rec, ticketdb.TicketEvent{TicketID: rec.TicketID, At: now, From: from, To: rec.State, Why: msg, By: "ticket-sync"}); err != nil {
			return err
		}
	}
	return nil
}
