package ingest

import (
	"strconv"

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
}

func newBatch() *batch { return &batch{lastByPartition: map[int]kafka.Message{}} }

func (b *batch) add(m kafka.Message) {
	b.lastByPartition[m.Partition] = m
	e, err := event.Decode(m.Value)
	if err != nil {
		b.dead = append(b.dead, deadLetter{msg: m, reason: err.Error()})
		return
	}
	b.valid = append(b.valid, e)
}

func (b *batch) rows() int   { return len(b.valid) + len(b.dead) }
func (b *batch) empty() bool { return len(b.lastByPartition) == 0 }

func (b *batch) last() []kafka.Message {
	out := make([]kafka.Message, 0, len(b.lastByPartition))
	for _, m := range b.lastByPartition {
		out = append(out, m)
	}
	return out
}
