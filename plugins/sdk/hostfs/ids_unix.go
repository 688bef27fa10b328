//go:build unix

package hostfs

import (
	"os"
	"syscall"
)

type ids struct {
	uid   uint32
	inode uint64
}

// fileIDs returns the owner uid and inode of a file.
func fileIDs(fi os.FileInfo) (ids, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return ids{}, false
	}
	return ids{uid: st.Uid, inode: st.Ino}, true
}
