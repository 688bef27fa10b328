package publish

import (
	"bytes"
	"context"
	"testing"

	"github.com/segmentio/kafka-go/compress"

	"github.com/nhiradar/nhiradar/agent/scan"
	"github.com/nhiradar/nhiradar/plugins/builtin"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// realBatch scans the e2e fixture host with the built-in plugins until it
// has n encoded events: what one Kafka batch of an agent holds.
func realBatch(tb testing.TB, n int) [][]byte {
	var out [][]byte
	r := &scan.Runner{Plugins: builtin.All(), AgentID: "0123456789abcdef0123456789abcdef", Host: "web-01.example.net",
		Root: "../../cmd/e2e/testdata/host", FingerprintKey: []byte("bench-organisation-key-0001")}
	for len(out) < n {
		r.Run(context.Background(), func(_ context.Context, e *event.Event) error {
			b, err := event.Encode(e)
			if err != nil {
				return err
			}
			out = append(out, b)
			return nil
		})
	}
	return out[:n]
}

// BenchmarkCompression compresses one 500-event batch of real events with
// each codec kafka-go offers and reports the ratio (raw/compressed).
func BenchmarkCompression(b *testing.B) {
	batch := realBatch(b, 500)
	raw := bytes.Join(batch, nil)
	for _, c := range []compress.Compression{compress.Gzip, compress.Snappy, compress.Lz4, compress.Zstd} {
		b.Run(c.String(), func(b *testing.B) {
			var out bytes.Buffer
			b.SetBytes(int64(len(raw)))
			for i := 0; i < b.N; i++ {
				out.Reset()
				w := c.Codec().NewWriter(&out)
				if _, err := w.Write(raw); err != nil {
					b.Fatal(err)
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(raw))/float64(out.Len()), "ratio")
			b.ReportMetric(float64(len(raw))/500, "B/event")
		})
	}
}
