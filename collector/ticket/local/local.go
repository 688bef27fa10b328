// Package local is the built-in ticket system: tickets kept by the
// collector in ClickHouse (local_tickets, local_ticket_notes) and worked
// with `nhictl tickets close|reopen|comment`, so that the whole loop —
// finding, ticket, closure, verification by the next scans, reopening —
// runs with nothing external. It implements ticket.Connector like every
// other system: the ticket sync cannot tell it from Request Tracker.
package local

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"time"

	"github.com/nhiradar/nhiradar/collector/store/ticketdb"
	"github.com/nhiradar/nhiradar/collector/ticket"
)

// Name is the system's name in configuration and records.
const Name = "local"

// States of a local ticket, as nhictl shows them.
const (
	StateOpen     = "open"
	StateResolved = "resolved"
)

// Connector is the local ticket system over the store.
type Connector struct {
	Tickets *ticketdb.DB
	// Now is the clock (tests fix it); nil means time.Now.
	Now func() time.Time
}

var _ ticket.Connector = (*Connector)(nil)

// Name implements ticket.Connector.
func (c *Connector) Name() string { return Name }

func (c *Connector) now() time.Time {
	if c.Now != nil {
		return c.Now().UTC()
	}
	return time.Now().UTC()
}

// Find returns the newest ticket carrying key.
func (c *Connector) Find(ctx context.Context, key string) (*ticket.Ticket, error) {
	list, err := c.Tickets.LocalTicketsByKey(ctx, key)
	if err != nil {
		return nil, storeErr("find", err)
	}
	if len(list) == 0 {
		return nil, nil
	}
	t := toTicket(list[0])
	return &t, nil
}

// Create files a new ticket. Its id is derived from the key and the time,
// short enough to type: "NHI-" and 8 hex digits.
func (c *Connector) Create(ctx context.Context, req ticket.Request) (ticket.Ticket, error) {
	now := c.now()
	sum := sha256.Sum256([]byte(req.Key + "\x00" + now.Format(time.RFC3339Nano)))
	lt := ticketdb.LocalTicket{
		ExternalID: "NHI-" + hex.EncodeToString(sum[:4]), Key: req.Key, Type: string(req.Type), Title: req.Title,
		Body: req.Body, Priority: string(req.Priority), Queue: req.Queue, Due: req.Due, Labels: req.Labels,
		State: StateOpen, CreatedAt: now, UpdatedAt: now,
	}
	if err := c.Tickets.PutLocalTicket(ctx, lt); err != nil {
		return ticket.Ticket{}, storeErr("create", err)
	}
	return toTicket(lt), nil
}

// Comment adds a note.
func (c *Connector) Comment(ctx context.Context, externalID, text string) error {
	if _, err := c.get(ctx, "comment", externalID); err != nil {
		return err
	}
	return c.note(ctx, externalID, "comment", "nhi-radar", text)
}

// Get reports a ticket's state.
func (c *Connector) Get(ctx context.Context, externalID string) (ticket.Ticket, error) {
	lt, err := c.get(ctx, "get", externalID)
	if err != nil {
		return ticket.Ticket{}, err
	}
	return toTicket(lt), nil
}

// Reopen sets a resolved ticket open again with a note saying why.
func (c *Connector) Reopen(ctx context.Context, externalID, comment string) (ticket.Ticket, error) {
	lt, err := c.Transition(ctx, externalID, StateOpen, "", comment, "nhi-radar")
	if err != nil {
		return ticket.Ticket{}, err
	}
	return toTicket(lt), nil
}

// Close resolves a ticket with a resolution and a note.
func (c *Connector) Close(ctx context.Context, externalID, resolution, note string) error {
	_, err := c.Transition(ctx, externalID, StateResolved, resolution, note, "nhi-radar")
	return err
}

// Transition moves a ticket to state (open or resolved) and records who did
// it and why: the path `nhictl tickets close|reopen` takes as well.
func (c *Connector) Transition(ctx context.Context, externalID, state, resolution, note, author string) (ticketdb.LocalTicket, error) {
	lt, err := c.get(ctx, state, externalID)
	if err != nil {
		return lt, err
	}
	lt.State, lt.Resolution, lt.UpdatedAt = state, resolution, c.now()
	if err := c.Tickets.PutLocalTicket(ctx, lt); err != nil {
		return lt, storeErr(state, err)
	}
	text := state
	if resolution != "" {
		text += " (" + resolution + ")"
	}
	if note != "" {
		text += ": " + note
	}
	return lt, c.note(ctx, externalID, state, author, text)
}

func (c *Connector) get(ctx context.Context, op, externalID string) (ticketdb.LocalTicket, error) {
	lt, ok, err := c.Tickets.LocalTicket(ctx, externalID)
	if err != nil {
		return lt, storeErr(op, err)
	}
	if !ok {
		return lt, &ticket.Error{System: Name, Op: op, Status: http.StatusNotFound, Msg: fmt.Sprintf("no local ticket %s", externalID)}
	}
	return lt, nil
}

func (c *Connector) note(ctx context.Context, externalID, kind, author, text string) error {
	err := c.Tickets.AddLocalNote(ctx, ticketdb.LocalNote{ExternalID: externalID, At: c.now(), Author: author, Kind: kind, Text: text})
	return storeErr(kind, err)
}

// storeErr makes a store failure a retryable ticket error: ClickHouse
// down delays tickets, it loses none.
func storeErr(op string, err error) error {
	if err == nil {
		return nil
	}
	return &ticket.Error{System: Name, Op: op, Retryable: true, Msg: "the collector's store is unreachable", Err: err}
}

func toTicket(lt ticketdb.LocalTicket) ticket.Ticket {
	st := ticket.StateOpen
	if lt.State == StateResolved {
		st = ticket.StateResolved
	}
	return ticket.Ticket{ExternalID: lt.ExternalID, State: st, Resolution: lt.Resolution, UpdatedAt: lt.UpdatedAt}
}
