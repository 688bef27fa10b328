// Package hostfs maps host paths onto a root directory, so that a mounted
// image or a test tree is scanned as if it were "/" while events still name
// the paths as the host sees them.
package hostfs

import (
	"os"
	"path/filepath"
	"strings"
)

// Root is a directory standing for the host's "/".
type Root struct {
	dir string
}

// New returns the Root for dir; "" and "/" mean the live host.
func New(dir string) Root {
	if dir == "" {
		dir = "/"
	}
	return Root{dir: filepath.Clean(dir)}
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

// ReadFile reads the host path p. Under a root other than the live "/", a
// symlink that points outside the root is an error rather than a read of the
// scanning machine's own file.
func (r Root) ReadFile(p string) ([]byte, error) {
	if r.Live() {
		return os.ReadFile(p)
	}
	root, err := os.OpenRoot(r.dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	return root.ReadFile(rel(p))
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
