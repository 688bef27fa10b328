package store

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// InsertEvents writes a batch of valid events in one INSERT. Either the
// whole batch is stored or an error is returned and the caller retries it;
// a retried batch is harmless because events are keyed by event_id.
func (s *Store) InsertEvents(ctx context.Context, events []*event.Event) error {
	return s.Prepare(ctx, slices.Clone(events)).Insert(ctx) // the caller keeps its events
}

// Prepared is a batch ready to insert: the events appended to the driver's
// block, column by column, which holds them in the compact form it sends.
// Preparing the next batch while the previous one is inserted overlaps the
// two, and the decoded events can go as soon as a batch is prepared.
type Prepared struct {
	st     *Store
	ctx    context.Context
	batch  driver.Batch
	events []*event.Event // kept only while the block could not be built
	rows   int
	err    error // the block can never be built
}

// Prepare appends events to a new INSERT block and clears them from the
// slice as they are appended. The block does not hold a connection while it
// waits; ctx bounds the later Insert too, because the driver keeps it for
// the send. When the server cannot be reached the events are kept and
// Insert builds the block.
func (s *Store) Prepare(ctx context.Context, events []*event.Event) *Prepared {
	p := &Prepared{st: s, ctx: ctx, events: events, rows: len(events)}
	if len(events) > 0 && p.build() == nil {
		p.events = nil
	}
	return p
}

// chunk is how many events build turns into rows at a time: the events
// of a chunk are let go once it is appended, so that a batch is not held
// twice, as events and as the block.
const chunk = 4096

func (p *Prepared) build() error {
	s := p.st
	b, err := s.conn.PrepareBatch(p.ctx, "INSERT INTO "+s.cfg.Database+".events"+distSuffix(s.cfg.Cluster)+" ("+strings.Join(EventColumns(), ", ")+")",
		driver.WithReleaseConnection())
	if err != nil {
		return fmt.Errorf("store: prepare insert: %w", err)
	}
	rows := make([]row, 0, min(chunk, len(p.events)))
	for lo := 0; lo < len(p.events); lo += chunk {
		part := p.events[lo:min(lo+chunk, len(p.events))]
		rows = rows[:0]
		for _, e := range part {
			rows = append(rows, newRow(e))
		}
		for i, c := range eventColumns {
			if err := b.Column(i).Append(c.appendTo(rows)); err != nil {
				b.Abort() //nolint:errcheck // the append error is the one to report
				// The events appended are gone: the batch cannot be
				// built again, and every Insert reports why.
				p.err = fmt.Errorf("store: append column %s: %w", c.name, err)
				return p.err
			}
		}
		clear(part)
	}
	p.batch = b
	return nil
}

// Insert writes the prepared batch in one INSERT; it may be retried, and a
// retry sends the same block again on a fresh connection.
func (p *Prepared) Insert(ctx context.Context) error {
	if p.rows == 0 {
		return nil
	}
	if p.err != nil {
		return p.err
	}
	if p.batch == nil {
		p.ctx = ctx
		if err := p.build(); err != nil {
			return err
		}
		p.events = nil
	}
	if err := p.batch.Send(); err != nil {
		return fmt.Errorf("store: insert %d events: %w", p.rows, err)
	}
	return nil
}
