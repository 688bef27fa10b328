package ingest

import (
	"runtime"
	"strconv"
	"sync"

	"github.com/segmentio/kafka-go"

	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// DLQ headers name why a message was refused and where it came from.
const (
	HeaderReason    = "nhi-dlq-reason"
	HeaderTopic     = "nhi-dlq-topic"
	HeaderPartition = "nhi-dlq-partition"
	HeaderOffset    = "nhi-dlq-offset"
)

type deadLetter struct {
	msg    kafka.Message
	reason string
}

func (d deadLetter) message() kafka.Message {
	return kafka.Message{
		Key:   d.msg.Key,
		Value: d.msg.Value,
		Headers: []kafka.Header{
			{Key: HeaderReason, Value: []byte(d.reason)},
			{Key: HeaderTopic, Value: []byte(d.msg.Topic)},
			{Key: HeaderPartition, Value: []byte(strconv.Itoa(d.msg.Partition))},
			{Key: HeaderOffset, Value: []byte(strconv.FormatInt(d.msg.Offset, 10))},
		},
	}
}

// batch is what one flush stores, dead-letters and commits.
type batch struct {
	valid []*event.Event
	dead  []deadLetter
	// lastByPartition holds the highest message fetched per partition; a
	// commit of it covers everything before.
	lastByPartition map[int]kafka.Message
	// prepared is the valid events in the store's own form, when it has one.
	prepared Inserter
	stored   int // valid events in prepared
}

func (b *batch) validRows() int {
	if b.prepared != nil {
		return b.stored
	}
	return len(b.valid)
}

func newBatch() *batch { return &batch{lastByPartition: map[int]kafka.Message{}} }

func (b *batch) add(m kafka.Message) {
	e, err := decode(m.Value)
	b.addDecoded(m, e, err)
}

func (b *batch) addDecoded(m kafka.Message, e *event.Event, err error) {
	b.lastByPartition[m.Partition] = m
	if err != nil {
		b.dead = append(b.dead, deadLetter{msg: m, reason: err.Error()})
		return
	}
	b.valid = append(b.valid, e)
}

func (b *batch) rows() int   { return b.validRows() + len(b.dead) }
func (b *batch) empty() bool { return len(b.lastByPartition) == 0 }

func (b *batch) last() []kafka.Message {
	out := make([]kafka.Message, 0, len(b.lastByPartition))
	for _, m := range b.lastByPartition {
		out = append(out, m)
	}
	return out
}

// decodeBatch decodes and validates msgs on every core, keeping their order.
func decodeBatch(msgs []kafka.Message) *batch {
	events := make([]*event.Event, len(msgs))
	errs := make([]error, len(msgs))
	workers := min(runtime.GOMAXPROCS(0), max(len(msgs)/256, 1))
	chunk := (len(msgs) + workers - 1) / workers
	var wg sync.WaitGroup
	for lo := 0; lo < len(msgs); lo += chunk {
		hi := min(lo+chunk, len(msgs))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				events[i], errs[i] = decode(msgs[i].Value)
			}
		}()
	}
	wg.Wait()
	b := newBatch()
	b.valid = make([]*event.Event, 0, len(msgs))
	for i, m := range msgs {
		b.addDecoded(m, events[i], errs[i])
	}
	return b
}
