// Package hostfs maps host paths onto a root directory, so that a mounted
// image or a test tree is scanned as if it were "/" while events still name
// the paths as the host sees them.
package hostfs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
)

// Root is a directory standing for the host's "/".
type Root struct {
	dir      string
	problems *Problems
}

// New returns the Root for dir; "" and "/" mean the live host.
func New(dir string) Root {
	if dir == "" {
		dir = "/"
	}
	return Root{dir: filepath.Clean(dir)}
}

// Reporting returns the root with every read problem recorded in ps: a
// file that exists but could not be opened or read in full.
func (r Root) Reporting(ps *Problems) Root {
	r.problems = ps
	return r
}

// Note records a problem with host path p (a parser's skipped lines, a
// directory that could not be listed); nil and "does not exist" are no
// problem, nor is a path under something that is not a directory (a home of
// /dev/null has no .ssh).
func (r Root) Note(p string, err error) {
	if r.problems != nil && err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
		r.problems.add(p, err)
	}
}

// Live reports whether the root is the live host's "/".
func (r Root) Live() bool { return r.dir == "/" }

// Path returns where the host path p is on this machine.
func (r Root) Path(p string) string {
	return filepath.Join(r.dir, filepath.Clean("/"+p))
}

// HostPath returns the host path of a path under the root.
func (r Root) HostPath(local string) string {
	rel, err := filepath.Rel(r.dir, local)
	if err != nil || strings.HasPrefix(rel, "..") {
		return local
	}
	return filepath.Clean("/" + rel)
}

// Stat stats the host path p, following symlinks only within the root.
func (r Root) Stat(p string) (os.FileInfo, error) {
	if r.Live() {
		return os.Stat(p)
	}
	root, err := os.OpenRoot(r.dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	return root.Stat(rel(p))
}

// rel turns a host path into a path relative to the root.
func rel(p string) string {
	p = strings.TrimPrefix(filepath.Clean("/"+p), "/")
	if p == "" {
		return "."
	}
	return p
}

// Problems collects what a scan could not read; safe for concurrent use.
type Problems struct {
	mu   sync.Mutex
	list []Problem
	seen map[string]bool
}

// Problem is one path and what went wrong reading it.
type Problem struct {
	Path string
	Err  error
}

// add keeps the first problem per path: a file consulted for every other
// file (/etc/passwd) is one problem, not thousands.
func (ps *Problems) add(p string, err error) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.seen == nil {
		ps.seen = map[string]bool{}
	}
	if ps.seen[p] {
		return
	}
	ps.seen[p] = true
	ps.list = append(ps.list, Problem{Path: p, Err: err})
}

// List returns the problems recorded so far.
func (ps *Problems) List() []Problem {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return append([]Problem(nil), ps.list...)
}
