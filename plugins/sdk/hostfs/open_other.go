//go:build !linux

package hostfs

import "os"

// openBeneath is os.Root's resolution where there is no openat2.
func (r Root) openBeneath(p string, follow bool) (*os.File, error) {
	return r.openWithRoot(p, follow)
}
