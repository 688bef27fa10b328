package yamlconfig

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
)

// MaxFileBytes bounds the configuration file: a real one is a few KiB.
const MaxFileBytes = 1 << 20

// MaxSecretBytes bounds a secret file (a password, a key): a real one is
// well under a KiB.
const MaxSecretBytes = 64 << 10

// Errors of ReadRegularFile: a file over its bound, or not a regular file.
var (
	ErrTooLarge   = errors.New("file too large")
	ErrNotRegular = errors.New("not a regular file")
)

// ReadRegularFile reads the regular file at path, refusing anything else
// and anything over max bytes. The agent reads these files as root on
// hosts it does not control: a FIFO planted at the path must not hang it
// (hence O_NONBLOCK, which makes opening a FIFO return at once, and the
// fstat of what was opened, not of the path, which could be swapped), and
// /dev/zero or a huge file must not fill its memory.
func ReadRegularFile(path string, max int64) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s (mode %v): %w", path, st.Mode().Type(), ErrNotRegular)
	}
	if st.Size() > max {
		return nil, fmt.Errorf("%s: %d bytes, more than %d: %w", path, st.Size(), max, ErrTooLarge)
	}
	// The file may grow between the stat and the read: read one byte past
	// the bound to tell.
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s: more than %d bytes: %w", path, max, ErrTooLarge)
	}
	return b, nil
}
