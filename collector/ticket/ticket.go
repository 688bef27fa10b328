package ticket

import (
	"context"
	"errors"
	"time"
)

// Priority of a ticket request.
type Priority string

// Priorities, highest first.
const (
	PriorityCritical Priority = "critical"
	PriorityHigh     Priority = "high"
	PriorityMedium   Priority = "medium"
	PriorityLow      Priority = "low"
)

// Type says why a ticket exists.
type Type string

// Ticket types.
const (
	TypeRemediation     Type = "remediation"
	TypeRecertification Type = "recertification"
)

// Request is a rendered ticket: everything a connector needs, nothing more.
// It never carries a secret value.
type Request struct {
	Key      string    `json:"key"`   // correlation key (finding / ticket key)
	Title    string    `json:"title"` // one line
	Body     string    `json:"body"`  // markdown-ish plain text
	Priority Priority  `json:"priority"`
	Queue    string    `json:"queue,omitempty"` // queue / assignment group / project
	Due      time.Time `json:"due,omitzero"`
	Labels   []string  `json:"labels,omitempty"`
	Type     Type      `json:"type"`
}

// State is a ticket's state, normalised across systems.
type State string

// Ticket states.
const (
	StateOpen       State = "open"
	StateInProgress State = "in_progress"
	StateResolved   State = "resolved"
	StateClosed     State = "closed"
	StateCanceled   State = "canceled"
)

// Done reports whether the remote system considers the work finished.
func (s State) Done() bool {
	return s == StateResolved || s == StateClosed || s == StateCanceled
}

// Ticket is what a remote system reports about one ticket.
type Ticket struct {
	ExternalID string    `json:"external_id"`
	URL        string    `json:"url,omitempty"`
	State      State     `json:"state"`
	Resolution string    `json:"resolution,omitempty"`
	UpdatedAt  time.Time `json:"updated_at,omitzero"`
}

// Connector is one ITSM integration. Implementations do not retry; wrap calls
// in a Retrier. Find returns (nil, nil) when no ticket carries the key.
type Connector interface {
	Name() string
	Find(ctx context.Context, key string) (*Ticket, error)
	Create(ctx context.Context, req Request) (Ticket, error)
	Comment(ctx context.Context, externalID, text string) error
	Get(ctx context.Context, externalID string) (Ticket, error)
	// Reopen returns ErrCannotReopen when the system forbids it (e.g. a
	// ServiceNow incident that is Closed or Canceled); the caller then creates
	// a new ticket that links to the old one.
	Reopen(ctx context.Context, externalID, comment string) (Ticket, error)
	Close(ctx context.Context, externalID, resolution, note string) error
}

// ErrCannotReopen means the remote system cannot reopen the ticket.
var ErrCannotReopen = errors.New("ticket cannot be reopened; create a new linked ticket")
