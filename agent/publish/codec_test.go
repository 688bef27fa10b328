package publish

import (
	"bytes"
	"io"
	"runtime"
	"testing"

	"github.com/segmentio/kafka-go/compress"
)

// The agent's codecs must write frames that kafka-go's stock codecs (what
// the collector and any other consumer use) read back unchanged.
func TestCodecsReadableByStockCodecs(t *testing.T) {
	raw := bytes.Join(realBatch(t, 500), nil)
	stock := map[compress.Compression]compress.Codec{compress.Lz4: &compress.Lz4Codec, compress.Zstd: &compress.ZstdCodec}
	for c, reader := range stock {
		t.Run(c.String(), func(t *testing.T) {
			if c.Codec() == reader {
				t.Fatalf("%s: the agent's codec is not installed", c)
			}
			packed := compressWith(t, c.Codec(), raw)
			if len(packed) >= len(raw)/3 {
				t.Errorf("%s: %d bytes from %d, expected at least 3x smaller", c, len(packed), len(raw))
			}
			r := reader.NewReader(bytes.NewReader(packed))
			defer r.Close()
			got, err := io.ReadAll(r)
			if err != nil {
				t.Fatalf("%s: stock reader: %v", c, err)
			}
			if !bytes.Equal(got, raw) {
				t.Fatalf("%s: round trip changed the batch (%d bytes in, %d out)", c, len(raw), len(got))
			}
			// And the agent's own reader reads the stock writer's frames.
			r2 := c.Codec().NewReader(bytes.NewReader(compressWith(t, reader, raw)))
			defer r2.Close()
			if got, err := io.ReadAll(r2); err != nil || !bytes.Equal(got, raw) {
				t.Fatalf("%s: agent reader on stock frames: %d bytes, %v", c, len(got), err)
			}
		})
	}
}

// The reason for the agent's codecs: a writer's first batch must not cost
// megabytes. Measured against the stock codec in the same run.
func TestCodecsAllocateFractionOfStock(t *testing.T) {
	raw := bytes.Join(realBatch(t, 500), nil)
	for c, stock := range map[compress.Compression]compress.Codec{compress.Lz4: &compress.Lz4Codec, compress.Zstd: &compress.ZstdCodec} {
		ours := allocated(func() { compressWith(t, c.Codec(), raw) })
		theirs := allocated(func() { compressWith(t, stock, raw) })
		t.Logf("%s: first batch allocates %d KB (stock codec %d KB)", c, ours>>10, theirs>>10)
		if ours*4 > theirs {
			t.Errorf("%s: agent codec allocates %d KB, stock %d KB: expected at most a quarter", c, ours>>10, theirs>>10)
		}
	}
}

func compressWith(t testing.TB, c compress.Codec, raw []byte) []byte {
	var out bytes.Buffer
	w := c.NewWriter(&out)
	if _, err := w.Write(raw); err != nil {
		t.Fatalf("%s: write: %v", c.Name(), err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("%s: close: %v", c.Name(), err)
	}
	return out.Bytes()
}

// allocated returns the bytes f allocates with empty pools.
func allocated(f func()) uint64 {
	runtime.GC()
	runtime.GC()
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}
