package agent

import (
	"context"
	"fmt"
	"sync"

	"github.com/nhiradar/nhiradar/agent/publish"
	"github.com/nhiradar/nhiradar/internal/spool"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// spoolSink encodes events and appends them to the spool in small batches:
// one synced transaction per batch rather than per event. A batch is written
// when full, at the end of each scan and on every heartbeat.
type spoolSink struct {
	sp    *spool.Spool
	limit int

	mu  sync.Mutex
	buf []spool.Record
}

func newSpoolSink(sp *spool.Spool) *spoolSink {
	return &spoolSink{sp: sp, limit: 256}
}

// Put implements scan.Sink.
func (s *spoolSink) Put(_ context.Context, e *event.Event) error {
	r, err := publish.Record(e)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf = append(s.buf, r)
	if len(s.buf) >= s.limit {
		return s.flushLocked()
	}
	return nil
}

// Flush writes what is buffered.
func (s *spoolSink) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.flushLocked()
}

func (s *spoolSink) flushLocked() error {
	if len(s.buf) == 0 {
		return nil
	}
	err := s.sp.Append(s.buf...)
	s.buf = s.buf[:0]
	return err
}
