package ingest

import (
	"reflect"
	"testing"

	"github.com/segmentio/kafka-go"

	"github.com/nhiradar/nhiradar/collector/synth"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// FuzzBatchAdd feeds arbitrary message values through the decode and
// validate path: nothing may panic, every message is either valid or a dead
// letter with a reason and its origin. The corpus is in testdata/fuzz.
func FuzzBatchAdd(f *testing.F) {
	fleet := synth.NewFleet(7, 10, 10)
	for i := 0; i < 8; i++ {
		f.Add(fleet.Encoded())
	}
	f.Add([]byte(`{"schema_version":1}`))
	f.Add([]byte(`not json`))
	f.Fuzz(func(t *testing.T, value []byte) {
		b := newBatch(defaultExcerptBytes)
		b.add(kafka.Message{Topic: "t", Partition: 2, Offset: 41, Value: value})
		if b.rows() != 1 || len(b.lastByPartition) != 1 {
			t.Fatalf("one message gave %d rows", b.rows())
		}
		if len(b.dead) == 1 {
			d := b.dead[0].message()
			if b.dead[0].reason == "" || len(d.Headers) != 7 || string(d.Headers[3].Value) != "41" {
				t.Fatalf("dead letter without reason or origin: %+v", d.Headers)
			}
			return
		}
		e := b.valid[0]
		if err := e.Validate(); err != nil {
			t.Fatalf("a decoded event does not validate: %v", err)
		}
	})
}

// FuzzDecodeAgrees: the collector's fast decoder accepts exactly what the
// schema's event.Decode accepts, and decodes it to the same event.
func FuzzDecodeAgrees(f *testing.F) {
	fleet := synth.NewFleet(9, 10, 10)
	for i := 0; i < 8; i++ {
		f.Add(fleet.Encoded())
	}
	f.Add([]byte(`{"schema_version":1} {}`))
	f.Add([]byte(`{"SCHEMA_VERSION":1}`))
	f.Fuzz(func(t *testing.T, value []byte) {
		want, werr := event.Decode(value)
		got, gerr := decode(value)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("event.Decode err = %v, fast decode err = %v", werr, gerr)
		}
		if werr == nil && !reflect.DeepEqual(want, got) {
			t.Fatalf("decoded differently:\n%+v\n%+v", want, got)
		}
	})
}
