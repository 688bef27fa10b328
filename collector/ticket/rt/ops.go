package rt

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/nhiradar/nhiradar/collector/ticket"
)

// Find returns the ticket carrying key, or nil. When several do (someone
// filed one by hand, or copied the field), an unfinished one wins over a
// finished one and the newest over older ones; the duplicate is logged.
func (c *Connector) Find(ctx context.Context, key string) (*ticket.Ticket, error) {
	items, err := c.search(ctx, key)
	if err != nil || len(items) == 0 {
		return nil, err
	}
	if len(items) > 1 {
		c.log.WarnContext(ctx, "several RT tickets carry one key; using the newest unfinished one",
			"key", key, "field", c.keyField, "tickets", len(items))
	}
	best := c.toTicket(items[0])
	for _, it := range items {
		if t := c.toTicket(it); !t.State.Done() {
			best = t
			break
		}
	}
	return &best, nil
}

// search lists the (not deleted) tickets carrying key, newest first.
func (c *Connector) search(ctx context.Context, key string) ([]rtTicket, error) {
	q, err := c.findQuery(key)
	if err != nil {
		return nil, err
	}
	v := url.Values{"query": {q}, "fields": {"Status,LastUpdated"},
		"orderby": {"id"}, "order": {"DESC"}, "per_page": {"50"}}
	var out struct {
		Items []rtTicket `json:"items"`
	}
	if err := c.do(ctx, "find", http.MethodGet, "tickets?"+v.Encode(), nil, &out); err != nil {
		return nil, err
	}
	return out.Items, nil
}

// Create files a ticket in the request's queue with the key in the custom
// field. Callers run Find first; RT itself does not refuse a second ticket.
func (c *Connector) Create(ctx context.Context, req ticket.Request) (ticket.Ticket, error) {
	if _, err := c.findQuery(req.Key); err != nil {
		return ticket.Ticket{}, fmt.Errorf("rt create: %w", err)
	}
	body := map[string]any{
		"Queue":        c.queueFor(req.Queue),
		"Subject":      req.Title,
		"Content":      content(req),
		"ContentType":  "text/plain",
		"Priority":     c.priority(req.Priority),
		"CustomFields": map[string]string{c.keyField: req.Key},
	}
	if !req.Due.IsZero() {
		body["Due"] = req.Due.UTC().Format(rtTime)
	}
	var out rtTicket
	if err := c.do(ctx, "create", http.MethodPost, "ticket", body, &out); err != nil {
		return ticket.Ticket{}, err
	}
	if out.ID == "" {
		return ticket.Ticket{}, fmt.Errorf("rt create: answer carries no ticket id")
	}
	c.log.InfoContext(ctx, "RT ticket created", "key", req.Key, "ticket", out.ID.String(), "queue", body["Queue"])
	// A fresh ticket of RT's default lifecycle is "new".
	return ticket.Ticket{ExternalID: out.ID.String(), URL: c.displayURL(out.ID.String()), State: ticket.StateOpen}, nil
}

// Comment adds an internal comment. RT's "correspond" would mail the
// requestors; NHI Radar's notes are for whoever works the queue, and the
// ticket's watchers see comments in RT.
func (c *Connector) Comment(ctx context.Context, id, text string) error {
	p, err := ticketPath(id, "comment")
	if err != nil {
		return ticket.WithOp(err, "comment")
	}
	err = c.do(ctx, "comment", http.MethodPost, p, map[string]string{"Content": text, "ContentType": "text/plain"}, nil)
	return c.notFoundFirst(ctx, "comment", id, err)
}

// notFoundFirst: RT answers a comment on a ticket that does not exist with
// 400 "Permission Denied", which would send an operator chasing rights. On
// a 4xx the ticket is read; if it is gone, the caller gets the 404.
func (c *Connector) notFoundFirst(ctx context.Context, op, id string, err error) error {
	var e *ticket.Error
	if !errors.As(err, &e) || e.Status < 400 || e.Status >= 500 || e.Status == http.StatusUnauthorized || e.Status == http.StatusNotFound {
		return err
	}
	if _, gerr := c.Get(ctx, id); ticket.IsNotFound(gerr) {
		return ticket.WithOp(&ticket.Error{System: Name, Status: http.StatusNotFound, Msg: "not found: no ticket " + id}, op)
	}
	return err
}

// Get reads the ticket's status.
func (c *Connector) Get(ctx context.Context, id string) (ticket.Ticket, error) {
	p, err := ticketPath(id, "")
	if err != nil {
		return ticket.Ticket{}, ticket.WithOp(err, "get")
	}
	var out rtTicket
	if err := c.do(ctx, "get", http.MethodGet, p, nil, &out); err != nil {
		return ticket.Ticket{}, err
	}
	return c.toTicket(out), nil
}

// Close resolves the ticket, then comments the resolution and note. The
// status goes first so that a retry after a failed comment does not leave
// two identical closing comments behind a ticket that is still open.
func (c *Connector) Close(ctx context.Context, id, resolution, note string) error {
	t, err := c.setStatus(ctx, "close", id, "resolved")
	if err != nil {
		return err
	}
	if !t.State.Done() {
		return fmt.Errorf("rt close %s: status is still %s after setting resolved (RT lifecycle or rights)", id, t.State)
	}
	return ticket.WithOp(c.Comment(ctx, id, closeNote(resolution, note)), "close")
}

// Reopen sets a finished ticket back to "open" and comments why. An
// unfinished ticket only gets the comment. When RT keeps the ticket finished
// (a lifecycle without that transition, a deleted ticket without the right)
// the answer is ErrCannotReopen, and the caller files a new linked ticket.
func (c *Connector) Reopen(ctx context.Context, id, comment string) (ticket.Ticket, error) {
	cur, err := c.Get(ctx, id)
	if err != nil {
		return ticket.Ticket{}, ticket.WithOp(err, "reopen")
	}
	if cur.State.Done() {
		if cur, err = c.setStatus(ctx, "reopen", id, "open"); err != nil {
			return ticket.Ticket{}, err
		}
		if cur.State.Done() {
			return cur, fmt.Errorf("rt reopen %s: RT kept status %s: %w", id, cur.Resolution, ticket.ErrCannotReopen)
		}
	}
	if comment != "" {
		if err := c.Comment(ctx, id, comment); err != nil {
			return ticket.Ticket{}, ticket.WithOp(err, "reopen")
		}
	}
	return cur, nil
}

// setStatus changes the status and reads the ticket back: REST2 answers 200
// with a list of messages even when RT refused the change. A refusal for
// want of rights becomes a final 403, because it needs an admin, not a
// retry or a new ticket; any other refusal leaves the ticket as RT has it.
func (c *Connector) setStatus(ctx context.Context, op, id, status string) (ticket.Ticket, error) {
	p, err := ticketPath(id, "")
	if err != nil {
		return ticket.Ticket{}, ticket.WithOp(err, op)
	}
	var msgs []string
	if err := c.do(ctx, op, http.MethodPut, p, map[string]string{"Status": status}, &msgs); err != nil {
		return ticket.Ticket{}, err
	}
	t, err := c.Get(ctx, id)
	if err != nil {
		return ticket.Ticket{}, ticket.WithOp(err, op)
	}
	if c.state(status) == t.State {
		return t, nil
	}
	said := strings.Join(msgs, "; ")
	if strings.Contains(said, "Permission Denied") {
		return t, &ticket.Error{System: Name, Op: op, Status: http.StatusForbidden,
			Msg: "permission denied: the rt user needs ModifyTicket on the ticket's queue: " + said}
	}
	c.log.WarnContext(ctx, "RT did not take the status change", "ticket", id, "want", status, "rt_messages", said)
	return t, nil
}

// ticketPath is "ticket/{id}[/{sub}]". RT ids are numbers; anything else
// cannot name a ticket and is reported as not found without a request.
func ticketPath(id, sub string) (string, error) {
	if id == "" || strings.Trim(id, "0123456789") != "" {
		return "", &ticket.Error{System: Name, Status: http.StatusNotFound,
			Msg: fmt.Sprintf("not found: RT ticket ids are numbers, got %q", id)}
	}
	if sub != "" {
		return "ticket/" + id + "/" + sub, nil
	}
	return "ticket/" + id, nil
}
