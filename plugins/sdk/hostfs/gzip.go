package hostfs

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
)

// ErrBomb names compressed input that expands past its caps.
var ErrBomb = errors.New("decompresses past the limit")

// Gunzip streams the gzip data in rd, failing with ErrBomb once more than
// maxOut bytes come out or, past the first MiB, more than maxRatio times the
// bytes read in: ten megabytes of compressed zeros cannot become ten
// gigabytes in a plugin's memory or time.
func Gunzip(rd io.Reader, maxOut, maxRatio int64) (io.Reader, error) {
	in := &counted{r: rd}
	// The bufio.Reader reads ahead of the count by at most its 4 KiB.
	zr, err := gzip.NewReader(bufio.NewReader(in))
	if err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	return &capped{zr: zr, in: in, maxOut: maxOut, maxRatio: maxRatio}, nil
}

type counted struct {
	r io.Reader
	n int64
}

func (c *counted) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

type capped struct {
	zr       *gzip.Reader
	in       *counted
	out      int64
	maxOut   int64
	maxRatio int64
}

func (c *capped) Read(p []byte) (int, error) {
	n, err := c.zr.Read(p)
	c.out += int64(n)
	if c.out > c.maxOut {
		return n, fmt.Errorf("%w (%d bytes)", ErrBomb, c.maxOut)
	}
	if c.out > 1<<20 && c.out > c.in.n*c.maxRatio {
		return n, fmt.Errorf("%w (ratio over %d:1)", ErrBomb, c.maxRatio)
	}
	return n, err
}
