package hostfs

import "os"

type ids struct {
	uid   uint32
	inode uint64
}

// fileIDs: Windows files have no uid; owners and inodes stay unknown.
func fileIDs(os.FileInfo) (ids, bool) { return ids{}, false }
