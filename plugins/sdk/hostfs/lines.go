package hostfs

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
)

// ErrLineTooLong names a line over a reader's per-line limit.
var ErrLineTooLong = errors.New("line over the length limit")

// LineStats says what Lines read: lines handed on and lines skipped for
// being over the limit.
type LineStats struct {
	Lines   int
	Skipped int
}

// Lines calls fn with each line of rd and its 1-based number (without its "\n" or "\r\n"), in one
// pass and in memory bounded by max. A line longer than max is skipped and
// counted, and reading goes on after it: one hostile line never hides the
// entries that follow. The slice passed to fn is only valid during the call.
func Lines(rd io.Reader, max int, fn func(n int, line []byte) error) (LineStats, error) {
	var st LineStats
	br := bufio.NewReaderSize(rd, max+1)
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			st.Skipped++
			if err = discardLine(br); err != nil {
				return st, ignoreEOF(err)
			}
			continue
		}
		if len(line) > 0 {
			line = bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r"))
			if len(line) > max {
				st.Skipped++
			} else {
				st.Lines++
				if ferr := fn(st.Lines+st.Skipped, line); ferr != nil {
					return st, ferr
				}
			}
		}
		if err != nil {
			return st, ignoreEOF(err)
		}
	}
}

func discardLine(br *bufio.Reader) error {
	for {
		_, err := br.ReadSlice('\n')
		if !errors.Is(err, bufio.ErrBufferFull) {
			return err
		}
	}
}

func ignoreEOF(err error) error {
	if err == io.EOF {
		return nil
	}
	return err
}

// LinesOf is Lines over content already in memory.
func LinesOf(b []byte, max int, fn func(n int, line []byte) error) (LineStats, error) {
	return Lines(bytes.NewReader(b), max, fn)
}

// LinesSkipped says that a file was read but some of its lines were over
// the limit and skipped: the entries read are good, the file is partial.
type LinesSkipped struct {
	Path  string
	Lines int
	Max   int
}

func (e *LinesSkipped) Error() string { return e.Path + ": " + e.reason() }

func (e *LinesSkipped) reason() string {
	return fmt.Sprintf("%d line(s) over the %d-byte line limit skipped", e.Lines, e.Max)
}

func (e *LinesSkipped) Unwrap() error { return ErrLineTooLong }

// Partial is a *LinesSkipped for path when lines were skipped, else nil.
func (st LineStats) Partial(path string, max int) error {
	if st.Skipped == 0 {
		return nil
	}
	return &LinesSkipped{Path: path, Lines: st.Skipped, Max: max}
}

// EachLine reads the regular file at host path p line by line (Open, then
// EachLineFrom). A missing file calls fn for nothing and is no error.
func (r Root) EachLine(p string, maxFile int64, maxLine int, fn func(n int, line []byte) error) error {
	f, err := r.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	return r.EachLineFrom(p, f, maxFile, maxLine, fn)
}

// EachLineFrom reads f, opened from host path p, line by line: at most
// maxFile bytes — past them the rest is left unread and noted as
// ErrTooLarge — and lines over maxLine skipped and noted. The lines read
// are good either way. An error fn returns stops the reading and is
// returned as it is.
func (r Root) EachLineFrom(p string, f io.Reader, maxFile int64, maxLine int, fn func(n int, line []byte) error) error {
	var fnErr error
	st, err := Lines(io.LimitReader(f, maxFile), maxLine, func(n int, line []byte) error {
		fnErr = fn(n, line)
		return fnErr
	})
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		r.Note(p, err)
		return err
	}
	r.Note(p, st.Partial(p, maxLine))
	var one [1]byte
	if n, _ := f.Read(one[:]); n > 0 {
		r.Note(p, fmt.Errorf("%w (%d bytes): the rest was not read", ErrTooLarge, maxFile))
	}
	return nil
}

// EachLineOf is Lines over content already read from host path p, noting
// skipped lines on the root.
func (r Root) EachLineOf(p string, b []byte, maxLine int, fn func(n int, line []byte) error) error {
	st, err := LinesOf(b, maxLine, fn)
	r.Note(p, st.Partial(p, maxLine))
	return err
}
