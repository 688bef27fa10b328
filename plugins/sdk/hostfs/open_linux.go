package hostfs

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// openBeneath resolves p with openat2(2) from the root's directory:
// RESOLVE_IN_ROOT treats the root as "/" for every link on the way, as the
// scanned image itself would, so that no link leaves it, and no magic links
// (/proc/self/fd/N) are followed. Kernels before 5.6 get os.Root instead.
func (r Root) openBeneath(p string, follow bool) (*os.File, error) {
	dir, err := unix.Open(r.dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(dir)
	flags := uint64(unix.O_RDONLY | unix.O_NONBLOCK | unix.O_CLOEXEC | unix.O_NOATIME)
	if !follow {
		flags |= unix.O_NOFOLLOW
	}
	how := unix.OpenHow{Flags: flags, Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS}
	fd, err := openat2(dir, rel(p), &how)
	if errors.Is(err, unix.EPERM) {
		// O_NOATIME needs the file's owner or CAP_FOWNER.
		how.Flags &^= unix.O_NOATIME
		fd, err = openat2(dir, rel(p), &how)
	}
	switch {
	case errors.Is(err, unix.ENOSYS):
		return r.openWithRoot(p, follow)
	case errors.Is(err, unix.ELOOP) && !follow:
		return nil, r.loopOrLink(p)
	case errors.Is(err, unix.EXDEV):
		return nil, ErrOutsideRoot
	case err != nil:
		return nil, err
	}
	return os.NewFile(uintptr(fd), r.Path(p)), nil
}

func openat2(dir int, name string, how *unix.OpenHow) (int, error) {
	for {
		fd, err := unix.Openat2(dir, name, how)
		if err != unix.EINTR {
			return fd, err
		}
	}
}

// loopOrLink tells a final symbolic link (refused by O_NOFOLLOW) from a
// loop of links on the way.
func (r Root) loopOrLink(p string) error {
	if fi, err := os.Lstat(r.Path(p)); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		return ErrLink
	}
	return unix.ELOOP
}
