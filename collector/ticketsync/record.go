package ticketsync

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/nhiradar/nhiradar/analytics/findings"
	"github.com/nhiradar/nhiradar/analytics/tickets"
	"github.com/nhiradar/nhiradar/collector/store/ticketdb"
	"github.com/nhiradar/nhiradar/collector/ticket"
)

// recordBatch bounds how many opened tickets are recorded together: one
// store insert, one findings update and one outbox transaction per batch
// rather than per ticket. Recorded one by one, in line, a sync spent most
// of its time in ClickHouse inserts and reached a fraction of a 100
// requests/s system's rate (packaging/bench/tickets.sh). A crash before a
// batch is recorded loses nothing: its entries are still in the outbox,
// and the find before every create finds their tickets.
const recordBatch = 50

// opened is a ticket the system has made and the sync has not recorded.
type opened struct {
	seq uint64
	req tickets.Request
	t   ticket.Ticket
	how string
}

// drainer executes outbox entries, collecting opened tickets into
// batches that the recorder stores while the next ones are being opened.
type drainer struct {
	s     *Syncer
	rep   *Report
	batch []opened
	rec   *recorder
}

func (d *drainer) execute(ctx context.Context, seq uint64, o op) error {
	if o.Kind == "reopen" {
		return d.reopen(ctx, seq, o)
	}
	t, how, err := d.s.open(ctx, o.Request)
	if err != nil {
		return err
	}
	d.batch = append(d.batch, opened{seq: seq, req: o.Request, t: t, how: how})
	if len(d.batch) < recordBatch {
		return nil
	}
	return d.hand()
}

// hand gives the batch to the recorder.
func (d *drainer) hand() error {
	if len(d.batch) == 0 {
		return nil
	}
	b := d.batch
	d.batch = nil
	if err := d.rec.record(b); err != nil {
		return &storeError{err}
	}
	return nil
}

// reopen waits until everything opened so far is recorded (reopening
// reads the records), then reopens and records the ticket on its own.
func (d *drainer) reopen(ctx context.Context, seq uint64, o op) error {
	if err := d.hand(); err != nil {
		return err
	}
	if err := d.rec.wait(); err != nil {
		return &storeError{err}
	}
	d.rec = d.s.startRecorder(ctx, d.rep)
	if err := d.s.reopen(ctx, o, d.rep); err != nil {
		return err
	}
	if err := d.s.remove(seq); err != nil {
		return &storeError{err}
	}
	return nil
}

// finish records what is left and waits for the recorder.
func (d *drainer) finish() error {
	if err := d.hand(); err != nil {
		return d.abort(err)
	}
	return d.rec.wait()
}

// abort waits for the recorder (its batches may still be stored) and
// returns err.
func (d *drainer) abort(err error) error {
	_ = d.rec.wait()
	return err
}

// recorder stores opened batches in the background, in order, one at a
// time: the store's latency overlaps the next batch's calls to the system
// instead of adding to them.
type recorder struct {
	s    *Syncer
	rep  *Report
	in   chan []opened
	done chan struct{}

	mu     sync.Mutex
	err    error
	closed bool
}

func (s *Syncer) startRecorder(ctx context.Context, rep *Report) *recorder {
	r := &recorder{s: s, rep: rep, in: make(chan []opened), done: make(chan struct{})}
	go r.run(ctx)
	return r
}

func (r *recorder) run(ctx context.Context) {
	defer close(r.done)
	for b := range r.in {
		if r.failed() != nil {
			continue // keep the rest in the outbox: it is found next time
		}
		if err := r.s.recordOpened(ctx, b, r.rep); err != nil {
			r.mu.Lock()
			r.err = err
			r.mu.Unlock()
		}
	}
}

func (r *recorder) failed() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// record hands a batch over, waiting while the one before is being
// stored; it returns an earlier batch's failure.
func (r *recorder) record(b []opened) error {
	if err := r.failed(); err != nil {
		return err
	}
	r.in <- b
	return nil
}

// wait stores what was handed over and returns the first failure.
func (r *recorder) wait() error {
	r.mu.Lock()
	if !r.closed {
		r.closed = true
		close(r.in)
	}
	r.mu.Unlock()
	<-r.done
	return r.failed()
}

// recordOpened records the batch's tickets, moves their findings to
// ticketed, and only then removes their entries from the outbox.
func (s *Syncer) recordOpened(ctx context.Context, batch []opened, rep *Report) error {
	now := s.now()
	rows := make([]ticketdb.TicketRow, 0, len(batch))
	evs := make([]ticketdb.TicketEvent, 0, len(batch))
	moves := map[string]string{}
	seqs := make([]uint64, 0, len(batch))
	for _, o := range batch {
		r, t := o.req, o.t
		rows = append(rows, ticketdb.TicketRow{TicketID: r.Key, System: s.Conn.Name(), ExternalID: t.ExternalID, URL: t.URL,
			Type: r.Type, FindingIDs: r.FindingIDs, NHIIDs: r.NHIIDs, State: ticketdb.TicketOpen, Owner: r.Owner, Queue: r.Queue,
			Priority: r.Priority, Severity: r.Severity, Due: r.Due, Title: r.Title, OpenedAt: now, UpdatedAt: now})
		why := fmt.Sprintf("%s %s in %s for %s", o.how, t.ExternalID, s.Conn.Name(), strings.Join(slices.Concat(r.FindingIDs, r.NHIIDs), ", "))
		evs = append(evs, ticketdb.TicketEvent{TicketID: r.Key, At: now, To: ticketdb.TicketOpen, Why: why, By: "ticket-sync"})
		for _, id := range r.FindingIDs {
			moves[id] = fmt.Sprintf("ticket %s opened in %s", t.ExternalID, s.Conn.Name())
		}
		seqs = append(seqs, o.seq)
	}
	if err := ticketdb.New(s.Store).RecordTickets(ctx, rows, evs); err != nil {
		return fmt.Errorf("ticket sync: %w", err)
	}
	for _, o := range batch {
		s.log().Info("ticket opened", "system", s.Conn.Name(), "ticket", o.t.ExternalID, "key", o.req.Key, "findings", len(o.req.FindingIDs))
	}
	rep.Opened += len(batch)
	if err := s.moveFindingsEach(ctx, moves, []string{findings.Open}, findings.Ticketed); err != nil {
		return err
	}
	return s.remove(seqs...)
}
