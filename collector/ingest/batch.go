package ingest

import (
	"crypto/sha256"
	"encoding/hex"
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
	// HeaderSize is the original payload's length in bytes and HeaderSHA256
	// its hex SHA-256: the dead letter's value is only an excerpt (the first
	// DLQExcerptBytes) when HeaderTruncated is "true".
	HeaderSize      = "nhi-dlq-size"
	HeaderSHA256    = "nhi-dlq-sha256"
	HeaderTruncated = "nhi-dlq-truncated"
)

// maxKeyExcerpt bounds the dead letter's copy of the original key.
const maxKeyExcerpt = 1024

// deadLetter is a refused message reduced to what the dead-letter topic
// needs: a bounded excerpt of its value, never the whole payload, so that a
// dead letter always fits the topic and a huge message is not kept in memory.
type deadLetter struct {
	topic     string
	partition int
	offset    int64
	key       []byte
	excerpt   []byte
	size      int
	sha256    string
	reason    string
}

func newDeadLetter(m kafka.Message, reason string, excerptBytes int) deadLetter {
	sum := sha256.Sum256(m.Value)
	n := min(len(m.Value), excerptBytes)
	return deadLetter{
		topic: m.Topic, partition: m.Partition, offset: m.Offset,
		key:     append([]byte(nil), m.Key[:min(len(m.Key), maxKeyExcerpt)]...),
		excerpt: append([]byte(nil), m.Value[:n]...),
		size:    len(m.Value), sha256: hex.EncodeToString(sum[:]), reason: reason,
	}
}

func (d deadLetter) truncated() bool { return len(d.excerpt) < d.size }

func (d deadLetter) message() kafka.Message {
	return kafka.Message{
		Key:   d.key,
		Value: d.excerpt,
		Headers: []kafka.Header{
			{Key: HeaderReason, Value: []byte(d.reason)},
			{Key: HeaderTopic, Value: []byte(d.topic)},
			{Key: HeaderPartition, Value: []byte(strconv.Itoa(d.partition))},
			{Key: HeaderOffset, Value: []byte(strconv.FormatInt(d.offset, 10))},
			{Key: HeaderSize, Value: []byte(strconv.Itoa(d.size))},
			{Key: HeaderSHA256, Value: []byte(d.sha256)},
			{Key: HeaderTruncated, Value: []byte(strconv.FormatBool(d.truncated()))},
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
	prepared Appender
	stored   int // valid events in prepared
	// excerptBytes bounds each dead letter's copy of the payload.
	excerptBytes int
}

func (b *batch) validRows() int {
	if b.prepared != nil {
		return b.stored
	}
	return len(b.valid)
}

func newBatch(excerptBytes int) *batch {
	return &batch{lastByPartition: map[int]kafka.Message{}, excerptBytes: excerptBytes}
}

func (b *batch) add(m kafka.Message) {
	e, err := decode(m.Value)
	b.addDecoded(m, e, err)
}

func (b *batch) addDecoded(m kafka.Message, e *event.Event, err error) {
	// Only the position is needed to commit: drop the payload.
	b.lastByPartition[m.Partition] = kafka.Message{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset, HighWaterMark: m.HighWaterMark}
	if err != nil {
		b.dead = append(b.dead, newDeadLetter(m, err.Error(), b.excerptBytes))
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

// decodeChunk is how many messages decodeBatch decodes before it hands
// their valid events to the prepared batch and lets the payloads go.
const decodeChunk = 4096

// decodeBatch decodes and validates msgs on every core, keeping their order,
// a chunk at a time. With prep, each chunk's valid events go to it as soon
// as they are decoded, and the chunk's payloads are cleared from msgs: only
// the prepared form of a batch is ever held whole.
func decodeBatch(msgs []kafka.Message, excerptBytes int, prep Appender) *batch {
	b := newBatch(excerptBytes)
	b.prepared = prep
	if prep == nil {
		b.valid = make([]*event.Event, 0, len(msgs))
	}
	for lo := 0; lo < len(msgs); lo += decodeChunk {
		part := msgs[lo:min(lo+decodeChunk, len(msgs))]
		events, errs := decodeAll(part)
		for i, m := range part {
			b.addDecoded(m, events[i], errs[i])
		}
		if prep != nil {
			b.stored += len(b.valid)
			prep.Add(b.valid)
			b.valid = nil
			clear(part)
		}
	}
	return b
}

// decodeAll decodes msgs on every core.
func decodeAll(msgs []kafka.Message) ([]*event.Event, []error) {
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
	return events, errs
}
