package spool

import (
	"context"
	"fmt"
	"sync"
)

// Memory is the spool's queue held in memory, for a one-shot scan: its
// events need survive no restart, but they leave through the same drainer
// as the service's. It is bounded by bytes, and Append waits for room
// rather than dropping: the scan slows down to the pace of Kafka. It is
// safe for concurrent use.
type Memory struct {
	maxBytes int64
	notify   chan struct{}
	room     chan struct{}

	mu      sync.Mutex
	entries []Entry
	next    uint64
	bytes   int64
}

// NewMemory returns an empty queue holding at most maxBytes of entries (a
// single larger record is still accepted when the queue is empty).
func NewMemory(maxBytes int64) *Memory {
	return &Memory{maxBytes: maxBytes, notify: make(chan struct{}, 1), room: make(chan struct{}, 1)}
}

// Append queues records in order, waiting while the queue is full until the
// drainer removes entries or ctx ends.
func (m *Memory) Append(ctx context.Context, recs ...Record) error {
	for i, r := range recs {
		if err := m.appendOne(ctx, r); err != nil {
			return fmt.Errorf("spool: append %d records: %d queued: %w", len(recs), i, err)
		}
	}
	return nil
}

func (m *Memory) appendOne(ctx context.Context, r Record) error {
	size := entrySize(len(r.Key), len(r.Value))
	for {
		m.mu.Lock()
		if len(m.entries) == 0 || m.bytes+size <= m.maxBytes {
			m.next++
			m.entries = append(m.entries, Entry{Seq: m.next, Record: r})
			m.bytes += size
			more := m.bytes < m.maxBytes
			m.mu.Unlock()
			signal(m.notify)
			if more {
				// Another appender may be waiting for the room this one took.
				signal(m.room)
			}
			return nil
		}
		m.mu.Unlock()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-m.room:
		}
	}
}

// Peek returns up to n of the oldest entries, in order, stopping early once
// maxBytes of values are collected (at least one entry is returned).
func (m *Memory) Peek(n, maxBytes int) ([]Entry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Entry
	size := 0
	for _, e := range m.entries {
		if len(out) == n || (len(out) > 0 && size+len(e.Value) > maxBytes) {
			break
		}
		out = append(out, e)
		size += len(e.Value)
	}
	return out, nil
}

// Remove deletes every entry up to and including seq.
func (m *Memory) Remove(seq uint64) error {
	m.mu.Lock()
	i := 0
	for ; i < len(m.entries) && m.entries[i].Seq <= seq; i++ {
		m.bytes -= entrySize(len(m.entries[i].Key), len(m.entries[i].Value))
	}
	// A fresh slice lets the removed values be collected.
	m.entries = append([]Entry(nil), m.entries[i:]...)
	m.mu.Unlock()
	if i > 0 {
		signal(m.room)
	}
	return nil
}

// Notify receives a value after each Append.
func (m *Memory) Notify() <-chan struct{} { return m.notify }

// Len returns the number of entries queued.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.entries)
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}
