package eventdb

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/nhiradar/nhiradar/collector/store"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// Writer inserts events into a store's events table.
type Writer struct{ st *store.Store }

// New returns the writer of st's events.
func New(st *store.Store) *Writer { return &Writer{st: st} }

// InsertEvents writes a batch of valid events in one INSERT. Either the
// whole batch is stored or an error is returned and the caller retries it;
// a retried batch is harmless because events are keyed by event_id.
func (w *Writer) InsertEvents(ctx context.Context, events []*event.Event) error {
	p := w.Prepare(ctx)
	p.Add(slices.Clone(events)) // the caller keeps its events
	return p.Insert(ctx)
}

// Prepared is a batch ready to insert: the events appended to the driver's
// block, column by column, which holds them in the compact form it sends.
// Preparing the next batch while the previous one is inserted overlaps the
// two, and the decoded events can go as soon as they are appended.
type Prepared struct {
	st      *store.Store
	ctx     context.Context
	batch   driver.Batch
	pending []*event.Event // added but not yet in the block: it could not be opened
	rows    int
	err     error // the block can never be completed
}

// Prepare starts a batch. Its block does not hold a connection while it
// waits; ctx bounds the later Insert too, because the driver keeps it for
// the send.
func (w *Writer) Prepare(ctx context.Context) *Prepared {
	return &Prepared{st: w.st, ctx: ctx}
}

// Add appends events to the block and clears them from the slice as they
// are appended. When the server cannot be reached the events are kept and
// Insert appends them.
func (p *Prepared) Add(events []*event.Event) {
	p.rows += len(events)
	p.pending = append(p.pending, events...)
	clear(events)
	_ = p.appendPending() // on failure Insert tries again and reports it
}

// chunk is how many events appendPending turns into rows at a time: the
// events of a chunk are let go once it is appended, so that a batch is not
// held twice, as events and as the block.
const chunk = 4096

func (p *Prepared) appendPending() error {
	if p.err != nil || len(p.pending) == 0 {
		return p.err
	}
	if p.batch == nil {
		b, err := p.st.Conn().PrepareBatch(p.ctx, "INSERT INTO "+p.st.Table("events")+" ("+strings.Join(EventColumns(), ", ")+")",
			driver.WithReleaseConnection())
		if err != nil {
			return fmt.Errorf("eventdb: prepare insert: %w", err)
		}
		p.batch = b
	}
	rows := make([]row, 0, min(chunk, len(p.pending)))
	for lo := 0; lo < len(p.pending); lo += chunk {
		part := p.pending[lo:min(lo+chunk, len(p.pending))]
		rows = rows[:0]
		for _, e := range part {
			rows = append(rows, newRow(e))
		}
		for i, c := range eventColumns {
			if err := p.batch.Column(i).Append(c.appendTo(rows)); err != nil {
				p.batch.Abort() //nolint:errcheck // the append error is the one to report
				// The events appended are gone: the block cannot be
				// completed, and every Insert reports why.
				p.err = fmt.Errorf("eventdb: append column %s: %w", c.name, err)
				return p.err
			}
		}
		clear(part)
	}
	p.pending = nil
	return nil
}

// Insert writes the prepared batch in one INSERT; it may be retried, and a
// retry sends the same block again on a fresh connection.
func (p *Prepared) Insert(ctx context.Context) error {
	if p.rows == 0 {
		return nil
	}
	if p.batch == nil {
		p.ctx = ctx // the block is opened now, for this insert
	}
	if err := p.appendPending(); err != nil {
		return err
	}
	if err := p.batch.Send(); err != nil {
		return fmt.Errorf("eventdb: insert %d events: %w", p.rows, err)
	}
	return nil
}
