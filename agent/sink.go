package agent

import (
	"context"
	"fmt"
	"sync"

	"github.com/nhiradar/nhiradar/internal/spool"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// spoolSink encodes events and appends them to the spool in small batches:
// one synced transaction per batch rather than per event. A batch is written
// when full, at the end of each scan and on every heartbeat.
type spoolSink struct {
	sp    *spool.Spool
	key   []byte
	limit int

	mu  sync.Mutex
	buf []spool.Record
}

func newSpoolSink(sp *spool.Spool, host string) *spoolSink {
	return &spoolSink{sp: sp, key: []byte(host), limit: 256}
}

// Put implements scan.Sink.
func (s *spoolSink) Put(_ context.Context, e *event.Event) error {
	b, err := event.Encode(e)
	if err != nil {
		// Validation errors name the field, never its value.
		return fmt.Errorf("spool event %s: %w", e.EventID, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf = append(s.buf, spool.Record{Key: s.key, Value: b})
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
