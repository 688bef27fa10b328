package ingest

import (
	"context"
	"testing"

	"github.com/segmentio/kafka-go"

	"github.com/nhiradar/nhiradar/collector/synth"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// appender records what decodeBatch hands a prepared batch.
type appender struct {
	adds   []int
	events []*event.Event
}

func (a *appender) Add(events []*event.Event) {
	a.adds = append(a.adds, len(events))
	a.events = append(a.events, events...)
}

func (a *appender) Insert(context.Context) error { return nil }

// TestDecodeBatchHandsChunks: with a prepared batch, decodeBatch hands it
// the valid events a chunk at a time in order, keeps none itself, keeps the
// invalid ones as dead letters and clears the payloads it has decoded.
func TestDecodeBatchHandsChunks(t *testing.T) {
	fleet := synth.NewFleet(3, 20, 200)
	n := 2*decodeChunk + 10
	msgs := make([]kafka.Message, n)
	for i := range msgs {
		msgs[i] = kafka.Message{Partition: i % 3, Offset: int64(i), Value: fleet.Encoded()}
	}
	msgs[5].Value, msgs[decodeChunk+7].Value = []byte("not json"), []byte(`{"schema_version":1}`)
	a := &appender{}
	b := decodeBatch(msgs, defaultExcerptBytes, a)
	if len(a.adds) != 3 || a.adds[0] != decodeChunk-1 || a.adds[1] != decodeChunk-1 || a.adds[2] != 10 {
		t.Fatalf("chunks handed: %v", a.adds)
	}
	if b.valid != nil || b.stored != n-2 || b.validRows() != n-2 || len(b.dead) != 2 || b.rows() != n {
		t.Fatalf("batch keeps %d valid, stored %d, %d dead letters, %d rows", len(b.valid), b.stored, len(b.dead), b.rows())
	}
	for i, m := range msgs {
		if m.Value != nil {
			t.Fatalf("message %d still holds its payload", i)
		}
	}
	if b.lastByPartition[0].Offset != int64(n-1-(n-1)%3) {
		t.Errorf("last offset of partition 0 is %d", b.lastByPartition[0].Offset)
	}
	// Without a prepared batch the events stay in the batch, in order.
	msgs = []kafka.Message{{Value: fleet.Encoded()}, {Value: fleet.Encoded()}}
	if b := decodeBatch(msgs, defaultExcerptBytes, nil); len(b.valid) != 2 || msgs[0].Value == nil {
		t.Fatalf("without a preparer: %d valid events, payload cleared %v", len(b.valid), msgs[0].Value == nil)
	}
}
