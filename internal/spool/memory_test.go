package spool

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestMemoryFIFO(t *testing.T) {
	m := NewMemory(1 << 20)
	for i := range 5 {
		if err := m.Append(context.Background(), Record{Key: []byte("h"), Value: []byte(fmt.Sprint(i))}); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-m.Notify():
	default:
		t.Fatal("no notification after Append")
	}
	es, _ := m.Peek(3, 1<<20)
	if len(es) != 3 || string(es[0].Value) != "0" || string(es[2].Value) != "2" {
		t.Fatalf("peek: %+v", es)
	}
	if err := m.Remove(es[1].Seq); err != nil {
		t.Fatal(err)
	}
	es, _ = m.Peek(10, 1)
	if m.Len() != 3 || len(es) != 1 || string(es[0].Value) != "2" {
		t.Fatalf("after remove: len %d, peek %+v", m.Len(), es)
	}
}

// TestMemoryFullWaits: a full queue makes Append wait for the drainer, not
// drop, and a waiting Append ends with its context.
func TestMemoryFullWaits(t *testing.T) {
	rec := Record{Key: []byte("h"), Value: make([]byte, 100)}
	m := NewMemory(entrySize(1, 100) * 2)
	if err := m.Append(context.Background(), rec, rec); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := m.Append(ctx, rec); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("append to a full queue: %v, want the deadline", err)
	}
	done := make(chan error, 1)
	go func() { done <- m.Append(context.Background(), rec) }()
	time.Sleep(20 * time.Millisecond)
	es, _ := m.Peek(1, 1<<20)
	if err := m.Remove(es[0].Seq); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil || m.Len() != 2 {
			t.Fatalf("append after room: %v, len %d", err, m.Len())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("append still waiting after room was made")
	}
}
