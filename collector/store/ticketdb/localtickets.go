package ticketdb

import (
	"context"
	"fmt"
	"time"
)

// LocalTicket is one ticket of the local ticket system: the system of
// record for tickets when no external ITSM is configured.
type LocalTicket struct {
	ExternalID string    `json:"external_id"`
	Key        string    `json:"key"`
	Type       string    `json:"type"`
	Title      string    `json:"title"`
	Body       string    `json:"body"`
	Priority   string    `json:"priority"`
	Queue      string    `json:"queue"`
	Due        time.Time `json:"due"`
	Labels     []string  `json:"labels"`
	State      string    `json:"state"`
	Resolution string    `json:"resolution"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// LocalNote is a comment or a state change on a local ticket.
type LocalNote struct {
	ExternalID string    `json:"external_id"`
	At         time.Time `json:"at"`
	Author     string    `json:"author"`
	Kind       string    `json:"kind"`
	Text       string    `json:"text"`
}

const localCols = `external_id, key, type, title, body, priority, queue, due, labels, state, resolution, created_at, updated_at`

// PutLocalTicket writes a local ticket's new current row.
func (d *DB) PutLocalTicket(ctx context.Context, t LocalTicket) error {
	b, err := d.st.Conn().PrepareBatch(ctx, "INSERT INTO "+d.st.Table("local_tickets")+" (version, "+localCols+")")
	if err != nil {
		return fmt.Errorf("ticketdb: local ticket %s: %w", t.ExternalID, err)
	}
	if err := b.Append(uint64(time.Now().UnixNano()), t.ExternalID, t.Key, t.Type, t.Title, t.Body, t.Priority,
		t.Queue, t.Due, orEmpty(t.Labels), t.State, t.Resolution, t.CreatedAt, t.UpdatedAt); err != nil {
		return fmt.Errorf("ticketdb: local ticket %s: %w", t.ExternalID, err)
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("ticketdb: local ticket %s: %w", t.ExternalID, err)
	}
	return nil
}

// localTickets returns local tickets matching where (a condition on the
// columns, with args), newest first.
func (d *DB) localTickets(ctx context.Context, where string, args ...any) ([]LocalTicket, error) {
	rows, err := d.st.Conn().Query(ctx, "SELECT "+localCols+" FROM "+d.st.Table("local_tickets")+" FINAL WHERE "+where+
		" ORDER BY created_at DESC, external_id", args...)
	if err != nil {
		return nil, fmt.Errorf("ticketdb: local tickets: %w", err)
	}
	defer rows.Close()
	var out []LocalTicket
	for rows.Next() {
		var t LocalTicket
		if err := rows.Scan(&t.ExternalID, &t.Key, &t.Type, &t.Title, &t.Body, &t.Priority, &t.Queue, &t.Due,
			&t.Labels, &t.State, &t.Resolution, &t.CreatedAt, &t.UpdatedAt); err != nil {
			return nil, fmt.Errorf("ticketdb: local ticket row: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// LocalTicketsByKey returns the local tickets carrying a correlation key.
func (d *DB) LocalTicketsByKey(ctx context.Context, key string) ([]LocalTicket, error) {
	return d.localTickets(ctx, "key = ?", key)
}

// LocalTicket returns one local ticket; ok is false when there is none.
func (d *DB) LocalTicket(ctx context.Context, externalID string) (LocalTicket, bool, error) {
	list, err := d.localTickets(ctx, "external_id = ?", externalID)
	if err != nil || len(list) == 0 {
		return LocalTicket{}, false, err
	}
	return list[0], true, nil
}

// AddLocalNote records a comment or state change on a local ticket.
func (d *DB) AddLocalNote(ctx context.Context, n LocalNote) error {
	b, err := d.st.Conn().PrepareBatch(ctx, "INSERT INTO "+d.st.Table("local_ticket_notes")+" (external_id, at, author, kind, text)")
	if err != nil {
		return fmt.Errorf("ticketdb: note on %s: %w", n.ExternalID, err)
	}
	if err := b.Append(n.ExternalID, n.At, n.Author, n.Kind, n.Text); err != nil {
		return fmt.Errorf("ticketdb: note on %s: %w", n.ExternalID, err)
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("ticketdb: note on %s: %w", n.ExternalID, err)
	}
	return nil
}

// LocalNotes returns a local ticket's notes, oldest first.
func (d *DB) LocalNotes(ctx context.Context, externalID string) ([]LocalNote, error) {
	rows, err := d.st.Conn().Query(ctx, "SELECT external_id, at, author, kind, text FROM "+d.st.Table("local_ticket_notes")+
		" WHERE external_id = ? ORDER BY at", externalID)
	if err != nil {
		return nil, fmt.Errorf("ticketdb: notes on %s: %w", externalID, err)
	}
	defer rows.Close()
	var out []LocalNote
	for rows.Next() {
		var n LocalNote
		if err := rows.Scan(&n.ExternalID, &n.At, &n.Author, &n.Kind, &n.Text); err != nil {
			return nil, fmt.Errorf("ticketdb: notes on %s: %w", externalID, err)
		}
		out = append(out, n)
	}
	return out, rows.Err()
}
