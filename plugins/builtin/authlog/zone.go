package authlog

import (
	"io/fs"
	"os"
	"path"
	"time"

	"github.com/nhiradar/nhiradar/plugins/sdk/hostfs"
)

// hostLocation returns the time zone of the host: /etc/localtime under the
// root, its links followed inside the root (an image's absolute link to
// /usr/share/zoneinfo/… names the image's file, not the scanner's). UTC
// when there is none.
func hostLocation(root hostfs.Root) *time.Location {
	p := "/etc/localtime"
	for range 8 {
		fi, err := os.Lstat(root.Path(p))
		if err != nil {
			return time.UTC
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			break
		}
		link, err := os.Readlink(root.Path(p))
		if err != nil {
			return time.UTC
		}
		if !path.IsAbs(link) {
			link = path.Join(path.Dir(p), link)
		}
		p = link
	}
	b, err := root.ReadFile(p, 1<<20)
	if err != nil {
		return time.UTC
	}
	loc, err := time.LoadLocationFromTZData("localtime", b)
	if err != nil {
		return time.UTC
	}
	return loc
}
