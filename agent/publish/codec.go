package publish

import (
	"io"
	"sync"

	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/segmentio/kafka-go/compress"
)

// An agent's batch is at most a few hundred kilobytes, but kafka-go's
// stock codecs are sized for brokers: its lz4 writer uses 4 MB blocks (two
// 4 MB buffers per writer) and its zstd encoder an 8 MB window with one
// goroutine per core. On an agent that must stay under 25 MB those buffers
// were a third of the process. kafka-go looks codecs up in its global
// table, so the agent installs smaller ones there; the frames they write
// are standard, and any Kafka consumer reads them.
func init() {
	compress.Codecs[compress.Lz4] = &lz4Codec{}
	compress.Codecs[compress.Zstd] = &zstdCodec{}
}

// lz4BlockSize is the largest lz4 block the agent writes: a batch of 500
// events of about 700 bytes compresses in six blocks.
const lz4BlockSize = lz4.Block64Kb

// zstdWindow bounds the zstd encoder's history, hence its tables.
const zstdWindow = 256 << 10

type lz4Codec struct{ writers sync.Pool }

func (*lz4Codec) Code() int8   { return int8(compress.Lz4) }
func (*lz4Codec) Name() string { return "lz4" }

func (*lz4Codec) NewReader(r io.Reader) io.ReadCloser {
	return io.NopCloser(lz4.NewReader(r))
}

func (c *lz4Codec) NewWriter(w io.Writer) io.WriteCloser {
	z, _ := c.writers.Get().(*lz4.Writer)
	if z == nil {
		z = lz4.NewWriter(w)
		// Apply never fails for these constant options.
		_ = z.Apply(lz4.BlockSizeOption(lz4BlockSize), lz4.ConcurrencyOption(1))
	} else {
		z.Reset(w)
	}
	return &pooled[*lz4.Writer]{w: z, pool: &c.writers}
}

type zstdCodec struct{ encoders sync.Pool }

func (*zstdCodec) Code() int8   { return int8(compress.Zstd) }
func (*zstdCodec) Name() string { return "zstd" }

func (*zstdCodec) NewReader(r io.Reader) io.ReadCloser {
	d, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true))
	if err != nil {
		return io.NopCloser(errReader{err})
	}
	return d.IOReadCloser()
}

func (c *zstdCodec) NewWriter(w io.Writer) io.WriteCloser {
	e, _ := c.encoders.Get().(*zstd.Encoder)
	if e == nil {
		var err error
		e, err = zstd.NewWriter(w, zstd.WithEncoderConcurrency(1), zstd.WithWindowSize(zstdWindow),
			zstd.WithLowerEncoderMem(true))
		if err != nil {
			return errWriter{err}
		}
	} else {
		e.Reset(w)
	}
	return &pooled[*zstd.Encoder]{w: e, pool: &c.encoders}
}

// resettable is a compressing writer that can be pointed at another output.
type resettable interface {
	io.WriteCloser
	Reset(io.Writer)
}

// pooled is a compressing writer borrowed from a pool: closing it flushes
// the frame and returns the writer, whose buffers are the costly part.
type pooled[W resettable] struct {
	w    W
	pool *sync.Pool
	done bool
}

func (p *pooled[W]) Write(b []byte) (int, error) { return p.w.Write(b) }

func (p *pooled[W]) Close() error {
	if p.done {
		return nil
	}
	p.done = true
	err := p.w.Close()
	p.w.Reset(nil)
	p.pool.Put(p.w)
	return err
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

type errWriter struct{ err error }

func (w errWriter) Write([]byte) (int, error) { return 0, w.err }
func (w errWriter) Close() error              { return w.err }
