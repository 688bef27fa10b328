package jira

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/nhiradar/nhiradar/collector/ticket"
)

// transition is one workflow move available on an issue, as
// GET /rest/api/3/issue/{id}/transitions?expand=transitions.fields lists it.
type transition struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	To   struct {
		Name           string `json:"name"`
		StatusCategory struct {
			Key string `json:"key"`
		} `json:"statusCategory"`
	} `json:"to"`
	IsAvailable *bool `json:"isAvailable"`
	Fields      map[string]struct {
		Required      bool `json:"required"`
		AllowedValues []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"allowedValues"`
	} `json:"fields"`
}

func (t transition) done() bool { return t.To.StatusCategory.Key == "done" }

func (t transition) available() bool { return t.IsAvailable == nil || *t.IsAvailable }

// transitions lists the moves the issue's workflow offers right now: they
// differ per project, issue type and status, so nothing is hard-coded.
func (c *Connector) transitions(ctx context.Context, op, id string) ([]transition, error) {
	var out struct {
		Transitions []transition `json:"transitions"`
	}
	u := c.issueURL(id) + "/transitions?expand=transitions.fields"
	if err := c.do(ctx, op, http.MethodGet, u, nil, &out); err != nil {
		return nil, err
	}
	return out.Transitions, nil
}

func (c *Connector) move(ctx context.Context, op, id string, t transition, fields map[string]any) error {
	body := map[string]any{"transition": map[string]string{"id": t.ID}}
	if len(fields) > 0 {
		body["fields"] = fields
	}
	c.log.DebugContext(ctx, "jira transition", "issue", id, "transition", t.Name, "to", t.To.Name)
	return c.do(ctx, op, http.MethodPost, c.issueURL(id)+"/transitions", body, nil)
}

// Close moves the issue to a status in the done category. An issue already
// done is left alone, so a retried close is harmless. The note (with the
// resolution) is commented first: a failed transition then retries with the
// note already there rather than losing it.
func (c *Connector) Close(ctx context.Context, id, resolution, note string) error {
	cur, err := c.Get(ctx, id)
	if err != nil {
		return ticket.WithOp(err, "close")
	}
	if cur.State.Done() {
		return nil
	}
	ts, err := c.transitions(ctx, "close", id)
	if err != nil {
		return err
	}
	t, ok := pick(ts, transition.done, []string{"Done", "Close", "Close Issue", "Resolve", "Resolve Issue"})
	if !ok {
		return fmt.Errorf("jira close %s: the workflow offers no transition to a done status (have %s)", id, names(ts))
	}
	if text := closeText(resolution, note); text != "" {
		if err := c.Comment(ctx, id, text); err != nil {
			return ticket.WithOp(err, "close")
		}
	}
	return c.move(ctx, "close", id, t, c.resolutionField(t, resolution))
}

func closeText(resolution, note string) string {
	switch {
	case resolution != "" && note != "":
		return "Resolution: " + resolution + "\n\n" + note
	case resolution != "":
		return "Resolution: " + resolution
	}
	return note
}

// resolutionField sets the resolution only when the transition's screen has
// the field (Jira rejects fields that are not on the screen): the caller's
// resolution if Jira knows it by name, else the configured default, else the
// first allowed value when the field is required.
func (c *Connector) resolutionField(t transition, want string) map[string]any {
	f, ok := t.Fields["resolution"]
	if !ok || len(f.AllowedValues) == 0 {
		return nil
	}
	for _, name := range []string{want, c.cfg.CloseResolution} {
		for _, v := range f.AllowedValues {
			if name != "" && strings.EqualFold(v.Name, name) {
				return map[string]any{"resolution": map[string]string{"name": v.Name}}
			}
		}
	}
	if f.Required {
		return map[string]any{"resolution": map[string]string{"name": f.AllowedValues[0].Name}}
	}
	return nil
}

// Reopen moves a done issue back to a status outside the done category,
// preferring the configured names (Reopen, To Do, ...), then a target in
// the new category, then any. No such transition: ErrCannotReopen. An issue
// that is not done only gets the comment.
func (c *Connector) Reopen(ctx context.Context, id, comment string) (ticket.Ticket, error) {
	cur, err := c.Get(ctx, id)
	if err != nil {
		return ticket.Ticket{}, ticket.WithOp(err, "reopen")
	}
	if cur.State.Done() {
		if err := c.reopen(ctx, id); err != nil {
			return ticket.Ticket{}, err
		}
	}
	if comment != "" {
		if err := c.Comment(ctx, id, comment); err != nil {
			return ticket.Ticket{}, ticket.WithOp(err, "reopen")
		}
	}
	if !cur.State.Done() {
		return cur, nil
	}
	got, err := c.Get(ctx, id)
	return got, ticket.WithOp(err, "reopen")
}

func (c *Connector) reopen(ctx context.Context, id string) error {
	ts, err := c.transitions(ctx, "reopen", id)
	if err != nil {
		return err
	}
	notDone := func(t transition) bool { return !t.done() }
	t, ok := pick(ts, notDone, c.cfg.ReopenNames)
	if !ok {
		return fmt.Errorf("jira reopen %s: no transition leaves the done category (have %s): %w", id, names(ts), ticket.ErrCannotReopen)
	}
	return c.move(ctx, "reopen", id, t, nil)
}

// pick chooses among the available transitions that satisfy want: first by
// preferred name (transition or target status, case-insensitive), then one
// whose target is in the new category, then the first.
func pick(ts []transition, want func(transition) bool, prefer []string) (transition, bool) {
	var ok []transition
	for _, t := range ts {
		if t.available() && want(t) {
			ok = append(ok, t)
		}
	}
	if len(ok) == 0 {
		return transition{}, false
	}
	for _, name := range prefer {
		for _, t := range ok {
			if strings.EqualFold(t.Name, name) || strings.EqualFold(t.To.Name, name) {
				return t, true
			}
		}
	}
	for _, t := range ok {
		if t.To.StatusCategory.Key == "new" {
			return t, true
		}
	}
	return ok[0], true
}

func names(ts []transition) string {
	if len(ts) == 0 {
		return "none"
	}
	var s []string
	for _, t := range ts {
		s = append(s, fmt.Sprintf("%q→%s(%s)", t.Name, t.To.Name, t.To.StatusCategory.Key))
	}
	return strings.Join(s, ", ")
}
