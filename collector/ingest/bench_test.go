package ingest

import (
	"testing"

	"github.com/segmentio/kafka-go"

	"github.com/nhiradar/nhiradar/collector/synth"
)

// BenchmarkBatchAdd measures the decode and validate cost per message.
func BenchmarkBatchAdd(b *testing.B) {
	fleet := synth.NewFleet(3, 2000, 50000)
	msgs := make([]kafka.Message, 1000)
	for i := range msgs {
		msgs[i] = kafka.Message{Value: fleet.Encoded()}
	}
	b.ResetTimer()
	bt := newBatch(defaultExcerptBytes)
	for i := 0; i < b.N; i++ {
		if i%len(msgs) == 0 {
			bt = newBatch(defaultExcerptBytes)
		}
		bt.add(msgs[i%len(msgs)])
	}
}
