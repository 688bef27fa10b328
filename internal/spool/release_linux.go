package spool

import "golang.org/x/sys/unix"

// dontNeed drops size bytes of the file mapping at addr from the resident
// set. The address comes from bbolt as a number; passing it to the system
// call as one keeps it out of Go's pointers.
func dontNeed(addr uintptr, size int64) error {
	if _, _, errno := unix.Syscall(unix.SYS_MADVISE, addr, uintptr(size), unix.MADV_DONTNEED); errno != 0 {
		return errno
	}
	return nil
}
