package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/nhiradar/nhiradar/analytics/policy"
	"github.com/nhiradar/nhiradar/analytics/tickets"
	"github.com/nhiradar/nhiradar/collector/governance"
	"github.com/nhiradar/nhiradar/collector/store"
	"github.com/nhiradar/nhiradar/collector/store/ticketdb"
	"github.com/nhiradar/nhiradar/collector/ticket/local"
	"github.com/nhiradar/nhiradar/collector/ticketsync"
	"github.com/nhiradar/nhiradar/internal/spool"
)

type ticketsCmd struct {
	List    ticketsListCmd    `cmd:"" default:"withargs" help:"List tickets (the default)."`
	Answer  ticketsAnswerCmd  `cmd:"" help:"Answer a review for one identity: certify or revoke."`
	Show    ticketsShowCmd    `cmd:"" help:"Show one ticket: its findings, notes and history."`
	Close   ticketsCloseCmd   `cmd:"" help:"Close a local ticket, as the service desk does (the next scans verify it)."`
	Reopen  ticketsReopenCmd  `cmd:"" help:"Reopen a local ticket."`
	Comment ticketsCommentCmd `cmd:"" help:"Add a note to a local ticket."`
}

type ticketsListCmd struct {
	State  string `help:"Only tickets in this state (open, verifying, verified, reopened, unverified)."`
	Owner  string `help:"Only this owner's tickets."`
	Output string `help:"Output format." enum:"table,json,jsonl,csv" default:"table" short:"o"`
	Outbox string `help:"The outbox to report on (default: nhictl's for this database)." placeholder:"FILE"`
}

func (c *ticketsListCmd) Run(ctx context.Context, root *cli) error {
	st, err := root.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	all, err := ticketdb.New(st).Tickets(ctx)
	if err != nil {
		return err
	}
	out := []ticketdb.TicketRow{}
	for _, t := range all {
		if (c.State == "" || t.State == c.State) && (c.Owner == "" || t.Owner == c.Owner) {
			out = append(out, t)
		}
	}
	if err := writeTickets(os.Stdout, c.Output, out); err != nil || c.Output != "table" {
		return err
	}
	c.backlog(st.Database())
	return nil
}

// backlog says, for people, how many ticket operations wait in the outbox
// for their system: tickets delayed, not lost.
func (c *ticketsListCmd) backlog(db string) {
	path := c.Outbox
	if path == "" {
		var err error
		if path, err = governance.OutboxPath("", db); err != nil {
			return
		}
	}
	if _, err := os.Stat(path); err != nil {
		return
	}
	ob, err := governance.OpenOutbox(path, nil)
	if err != nil {
		fmt.Printf("outbox %s: %v\n", path, err)
		return
	}
	defer ob.Close()
	if n := ob.Stats().Depth; n > 0 {
		fmt.Printf("%d ticket operations wait in the outbox (%s) for their system: delayed, not lost; the next analysis retries them\n", n, path)
	}
}

func writeTickets(w io.Writer, format string, ts []ticketdb.TicketRow) error {
	if done, err := writeMachine(w, format, ts); done {
		return err
	}
	switch format {
	case "csv":
		cw := csv.NewWriter(w)
		_ = cw.Write([]string{"ticket_id", "system", "external_id", "type", "state", "owner", "queue", "priority", "due", "finding_ids", "title"})
		for _, t := range ts {
			_ = cw.Write([]string{t.TicketID, t.System, t.ExternalID, t.Type, t.State, t.Owner, t.Queue, t.Priority,
				stamp(t.Due), strings.Join(t.FindingIDs, ";"), t.Title})
		}
		cw.Flush()
		return cw.Error()
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "TICKET\tSYSTEM\tSTATE\tOWNER\tPRIORITY\tDUE\tFINDINGS\tTITLE")
	for _, t := range ts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", t.ExternalID, t.System, t.State, orDash(t.Owner), t.Priority,
			t.Due.Format("2006-01-02"), len(t.FindingIDs), t.Title)
	}
	fmt.Fprintf(tw, "\n%d tickets\n", len(ts))
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

type ticketsShowCmd struct {
	ID string `arg:"" help:"Ticket id (NHI-… for local tickets, the system's id, or the finding id it is keyed by)."`
}

func (c *ticketsShowCmd) Run(ctx context.Context, root *cli) error {
	st, err := root.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	t, err := findTicket(ctx, st, c.ID)
	if err != nil {
		return err
	}
	w := os.Stdout
	fmt.Fprintf(w, "Ticket %s (%s, %s) — %s\n", t.ExternalID, t.System, t.Type, t.Title)
	fmt.Fprintf(w, "State: %s   Owner: %s   Queue: %s   Priority: %s   Due: %s\n", t.State, orDash(t.Owner),
		orDash(t.Queue), t.Priority, t.Due.Format("2006-01-02"))
	fmt.Fprintf(w, "Findings: %s\n", strings.Join(t.FindingIDs, ", "))
	if t.System == local.Name {
		if lt, ok, err := ticketdb.New(st).LocalTicket(ctx, t.ExternalID); err == nil && ok {
			fmt.Fprintf(w, "\n%s\n", lt.Body)
		}
		notes, err := ticketdb.New(st).LocalNotes(ctx, t.ExternalID)
		if err != nil {
			return err
		}
		if len(notes) > 0 {
			fmt.Fprintln(w, "Notes:")
		}
		for _, n := range notes {
			fmt.Fprintf(w, "  %s  %-10s %s: %s\n", n.At.Format(time.RFC3339), n.Kind, n.Author, n.Text)
		}
	}
	hist, err := ticketdb.New(st).TicketHistory(ctx, t.TicketID)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "History:")
	for _, h := range hist {
		fmt.Fprintf(w, "  %s  %s -> %s  (%s) %s\n", h.At.Format(time.RFC3339), orDash(h.From), h.To, h.By, h.Why)
	}
	return nil
}

// findTicket accepts what a person has at hand: the system's ticket id or
// the finding id the ticket is keyed by.
func findTicket(ctx context.Context, st *store.Store, id string) (ticketdb.TicketRow, error) {
	all, err := ticketdb.New(st).Tickets(ctx)
	if err != nil {
		return ticketdb.TicketRow{}, err
	}
	for _, t := range all {
		if t.ExternalID == id || t.TicketID == id || contains(t.FindingIDs, id) {
			return t, nil
		}
	}
	return ticketdb.TicketRow{}, fmt.Errorf("no ticket %s in database %s (nhictl tickets lists them)", id, st.Database())
}

type ticketsCloseCmd struct {
	ID         string `arg:"" help:"Local ticket id (NHI-…) or its finding id."`
	Note       string `help:"What was done."`
	Resolution string `help:"Resolution: fixed, or for a recertification certified or revoke." default:"fixed" enum:"fixed,certified,revoke,wont_fix"`
	By         string `help:"Who closes it." default:"${user}"`
}

func (c *ticketsCloseCmd) Run(ctx context.Context, root *cli) error {
	return transition(ctx, root, c.ID, local.StateResolved, c.Resolution, c.Note, c.By)
}

type ticketsAnswerCmd struct {
	ID       string `arg:"" help:"The review ticket (NHI-… or its key r-…)."`
	NHIID    string `arg:"" help:"The identity (nhi_id) answered for."`
	Decision string `arg:"" help:"certify or revoke." enum:"certify,revoke"`
	Note     string `help:"Why."`
	By       string `help:"Who answers." default:"${user}"`
}

func (c *ticketsAnswerCmd) Run(ctx context.Context, root *cli) error {
	st, err := root.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	t, err := findTicket(ctx, st, c.ID)
	if err != nil {
		return err
	}
	if t.Type != tickets.Recertification || !contains(t.NHIIDs, c.NHIID) {
		return fmt.Errorf("ticket %s is not a review of %s", t.ExternalID, c.NHIID)
	}
	d := ticketdb.Decision{NHIID: c.NHIID, Decision: c.Decision, By: c.By, At: time.Now().UTC(), TicketID: t.TicketID, Note: c.Note}
	if err := ticketdb.New(st).RecordDecisions(ctx, []ticketdb.Decision{d}); err != nil {
		return err
	}
	fmt.Printf("%s: %s %s; it takes effect when the review is closed\n", t.ExternalID, c.Decision, c.NHIID)
	return nil
}

type ticketsReopenCmd struct {
	ID   string `arg:"" help:"Local ticket id (NHI-…) or its finding id."`
	Note string `help:"Why."`
	By   string `help:"Who reopens it." default:"${user}"`
}

func (c *ticketsReopenCmd) Run(ctx context.Context, root *cli) error {
	return transition(ctx, root, c.ID, local.StateOpen, "", c.Note, c.By)
}

type ticketsCommentCmd struct {
	ID   string `arg:"" help:"Local ticket id (NHI-…) or its finding id."`
	Note string `arg:"" help:"The comment."`
	By   string `help:"Who writes it." default:"${user}"`
}

func (c *ticketsCommentCmd) Run(ctx context.Context, root *cli) error {
	st, t, err := localTicket(ctx, root, c.ID)
	if err != nil {
		return err
	}
	defer st.Close()
	return ticketdb.New(st).AddLocalNote(ctx, ticketdb.LocalNote{ExternalID: t.ExternalID, At: time.Now().UTC(), Author: c.By, Kind: "comment", Text: c.Note})
}

func transition(ctx context.Context, root *cli, id, state, resolution, note, by string) error {
	st, t, err := localTicket(ctx, root, id)
	if err != nil {
		return err
	}
	defer st.Close()
	conn := &local.Connector{Tickets: ticketdb.New(st)}
	if _, err := conn.Transition(ctx, t.ExternalID, state, resolution, note, by); err != nil {
		return err
	}
	fmt.Printf("%s %s; the next `nhictl analyze` picks it up\n", t.ExternalID, state)
	return nil
}

func localTicket(ctx context.Context, root *cli, id string) (*store.Store, ticketdb.TicketRow, error) {
	st, err := root.open(ctx)
	if err != nil {
		return nil, ticketdb.TicketRow{}, err
	}
	t, err := findTicket(ctx, st, id)
	if err == nil && t.System != local.Name {
		err = fmt.Errorf("ticket %s is in %s: work it there (nhictl works local tickets only)", t.ExternalID, t.System)
	}
	if err != nil {
		st.Close()
		return nil, t, err
	}
	return st, t, nil
}

// ticketRound plans the tickets the findings call for and, unless dryRun,
// executes the plan: open, poll, verify, reopen. The collector's scheduled
// rounds go through the same collector/governance functions.
func ticketRound(ctx context.Context, st *store.Store, p *policy.Policy, now time.Time, c *analyzeCmd, w io.Writer) error {
	plan, err := governance.Plan(ctx, st, p, now)
	if err != nil {
		return err
	}
	if c.DryRun {
		list, err := ticketdb.New(st).Tickets(ctx)
		if err != nil {
			return err
		}
		recs := map[string]ticketdb.TicketRow{}
		for _, t := range list {
			recs[t.TicketID] = t
		}
		return writePlan(w, ticketsync.Actions(plan, recs))
	}
	settings, err := governance.LoadSettings(c.Ticketing)
	if err != nil {
		return err
	}
	ob, err := openOutbox(c.Outbox, st.Database())
	if err != nil {
		return err
	}
	defer ob.Close()
	system, rep, err := governance.Sync(ctx, governance.SyncConfig{Store: st, Policy: p, Settings: settings, Outbox: ob}, plan, now)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\nTickets (%s): %d opened, %d closed by the service desk, %d verified by the scans, %d reopened, %d unverified, %d waiting in the outbox\n",
		system, rep.Opened, rep.Closed, rep.Verified, rep.Reopened, rep.Unverified, rep.Pending)
	if rep.Delayed != "" {
		fmt.Fprintf(w, "Delayed: %s\n", rep.Delayed)
	}
	return nil
}

// openOutbox opens the outbox, by default one per database under the
// user's state directory.
func openOutbox(path, db string) (*spool.Spool, error) {
	if path == "" {
		var err error
		if path, err = governance.OutboxPath("", db); err != nil {
			return nil, fmt.Errorf("%w (--outbox FILE)", err)
		}
	}
	return governance.OpenOutbox(path, nil)
}

func writePlan(w io.Writer, acts []ticketsync.Action) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "\nWOULD\tKEY\tTYPE\tPRIORITY\tQUEUE\tDUE\tFINDINGS\tTITLE")
	for _, a := range acts {
		r := a.Request
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", a.Kind, r.Key, r.Type, r.Priority, orDash(r.Queue),
			r.Due.Format("2006-01-02"), len(r.FindingIDs)+len(r.NHIIDs), r.Title)
	}
	fmt.Fprintf(tw, "\n%d tickets would be opened or reopened (dry run: nothing was)\n", len(acts))
	return tw.Flush()
}
