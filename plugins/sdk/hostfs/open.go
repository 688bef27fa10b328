package hostfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Errors a hostile or broken host produces. Plugins skip the file, report
// it (sdk.Warn) and go on.
var (
	// ErrNotRegular: a FIFO, socket, device or directory where a file was expected.
	ErrNotRegular = errors.New("not a regular file")
	// ErrLink: the path is a symbolic link where the format has no use for one.
	ErrLink = errors.New("is a symbolic link")
	// ErrOutsideRoot: resolving the path would leave the scanned root.
	ErrOutsideRoot = errors.New("resolves outside the scanned root")
	// ErrTooLarge: the file is over the reader's size limit.
	ErrTooLarge = errors.New("over the size limit")
	// ErrMalformed: the file is not valid in its format. Its reason is
	// only this word: a parser's message may quote the content.
	ErrMalformed = errors.New("malformed")
)

// Open opens the host path p for reading: a regular file only (a FIFO,
// device or socket is refused after a non-blocking open, so none can hang
// or flood the reader), resolved with every symbolic link kept inside the
// root, and where the kernel allows without moving the access time, which
// is usage evidence. Links inside the root are followed because the tools
// that consume these files follow them too: sshd grants the keys an
// authorized_keys link points at, and dotfile managers link credentials.
func (r Root) Open(p string) (*os.File, error) { return r.open(p, true) }

// OpenNoFollow is Open for paths that must not be a link at all: a final
// symbolic link is refused with ErrLink.
func (r Root) OpenNoFollow(p string) (*os.File, error) { return r.open(p, false) }

func (r Root) open(p string, follow bool) (*os.File, error) {
	f, err := r.openChecked(p, follow)
	r.Note(p, err)
	return f, err
}

func (r Root) openChecked(p string, follow bool) (*os.File, error) {
	f, err := r.openBeneath(p, follow)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: p, Err: err}
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, &fs.PathError{Op: "stat", Path: p, Err: err}
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, &fs.PathError{Op: "open", Path: p, Err: fmt.Errorf("%w (%s)", ErrNotRegular, typeName(fi.Mode()))}
	}
	return f, nil
}

// openWithRoot is the portable resolution: os.Root keeps every step,
// links included, inside the root. Lstat first refuses a final link; the
// fstat in open catches a swap to a non-regular file after it.
func (r Root) openWithRoot(p string, follow bool) (*os.File, error) {
	root, err := os.OpenRoot(r.dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	name := rel(p)
	if !follow {
		fi, err := root.Lstat(name)
		if err != nil {
			return nil, unwrapPath(err)
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			return nil, ErrLink
		}
		if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("%w (%s)", ErrNotRegular, typeName(fi.Mode()))
		}
	}
	f, err := root.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		err = unwrapPath(err)
		if err.Error() == "path escapes from parent" {
			return nil, ErrOutsideRoot
		}
		return nil, err
	}
	return f, nil
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// ReadFile reads the regular file at host path p whole, refusing one over
// max bytes (ErrTooLarge) rather than holding it in memory.
func (r Root) ReadFile(p string, max int64) ([]byte, error) {
	f, err := r.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := readBounded(f, p, max)
	r.Note(p, err)
	return b, err
}

func readBounded(f *os.File, p string, max int64) ([]byte, error) {
	size := int64(512)
	if fi, err := f.Stat(); err == nil && fi.Size() > 0 {
		size = fi.Size()
	}
	if size > max {
		return nil, &fs.PathError{Op: "read", Path: p, Err: fmt.Errorf("%w (%d bytes)", ErrTooLarge, max)}
	}
	b := make([]byte, 0, size+1)
	for {
		n, err := f.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if int64(len(b)) > max {
			return nil, &fs.PathError{Op: "read", Path: p, Err: fmt.Errorf("%w (%d bytes)", ErrTooLarge, max)}
		}
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: p, Err: err}
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
}

func typeName(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeCharDevice != 0:
		return "character device"
	case m&fs.ModeDevice != 0:
		return "block device"
	case m.IsDir():
		return "directory"
	case m&fs.ModeSymlink != 0:
		return "symbolic link"
	}
	return "irregular file"
}

// Reason turns a read error into words that are safe to log and to put in
// an event: the kind of failure, never a file's content.
func Reason(err error) string {
	var skipped *LinesSkipped
	if errors.As(err, &skipped) {
		return skipped.reason()
	}
	if errors.Is(err, ErrMalformed) {
		return ErrMalformed.Error()
	}
	for _, known := range []error{ErrNotRegular, ErrLink, ErrOutsideRoot, ErrTooLarge, ErrLineTooLong, ErrBomb} {
		if errors.Is(err, known) {
			return reasonText(err, known)
		}
	}
	var errno syscall.Errno
	switch {
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	case errors.Is(err, fs.ErrNotExist):
		return "no such file"
	case errors.As(err, &errno):
		return errno.Error()
	}
	return "unreadable"
}

// reasonText keeps the detail our own errors add after the sentinel (the
// file type, the limit), which never holds content.
func reasonText(err, known error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	if strings.HasPrefix(err.Error(), known.Error()) {
		return err.Error()
	}
	return known.Error()
}

// NotRegular is the error for a path a walk found to be of mode m where a
// regular file was expected.
func NotRegular(m fs.FileMode) error { return fmt.Errorf("%w (%s)", ErrNotRegular, typeName(m)) }

// OpenLocal is Open for a path of this machine (a state file, an
// operator's baseline), relative to the working directory or absolute.
func OpenLocal(path string) (*os.File, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	return New("/").Open(abs)
}

// ReadLocalFile is ReadFile for a path of this machine.
func ReadLocalFile(path string, max int64) ([]byte, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	return New("/").ReadFile(abs, max)
}
