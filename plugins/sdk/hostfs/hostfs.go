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

// ReadFile reads the host path p.
func (r Root) ReadFile(p string) ([]byte, error) { return os.ReadFile(r.Path(p)) }

// Stat stats the host path p without following a final symlink out of the root.
func (r Root) Stat(p string) (os.FileInfo, error) { return os.Lstat(r.Path(p)) }
