// Package fileuse helps the built-in plugins read credential files without
// disturbing the evidence those files carry, and turn a file's access time
// into usage evidence where the mount records access times.
//
// A scanner that reads a credential file with a plain open(2) bumps its
// access time (under relatime: whenever atime <= mtime), so the next scan
// would take the scanner's own read for use. hostfs opens with O_NOATIME
// where the kernel allows it (file owner or CAP_FOWNER) and Accessed is
// called on the metadata taken before any read.
package fileuse

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/nhiradar/nhiradar/plugins/sdk/hostfs"
)

// Times are the timestamps of a file taken before it was read.
type Times struct {
	Modified time.Time
	Accessed time.Time
}

// Stat returns the modification and access times of host path p.
func Stat(root hostfs.Root, p string) (Times, error) {
	fi, err := os.Stat(root.Path(p))
	if err != nil {
		return Times{}, err
	}
	t := Times{Modified: fi.ModTime().UTC()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		t.Accessed = time.Unix(st.Atim.Sec, st.Atim.Nsec).UTC()
	}
	return t, nil
}

// slack is how much later than the last write a read must be to count: tools
// that write a file often read it back at once.
const slack = time.Minute

// Accessed reports the time a file was last read when that proves use: the
// access time lies clearly after the last modification (the file was read
// after it was written) and before now (the scan's clock: later reads may be
// this scan's own). It reports false on a live host whose mount of the file
// does not record access times (noatime).
func Accessed(root hostfs.Root, p string, t Times, now time.Time) (time.Time, bool) {
	if t.Accessed.IsZero() || !t.Accessed.After(t.Modified.Add(slack)) || !t.Accessed.Before(now) {
		return time.Time{}, false
	}
	if root.Live() && noatime(p) {
		return time.Time{}, false
	}
	return t.Accessed, true
}

// noatime reports whether the live mount holding path p has noatime set.
func noatime(p string) bool {
	f, err := os.Open("/proc/self/mounts")
	if err != nil {
		return false
	}
	defer f.Close()
	best, opts := "", ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 {
			continue
		}
		mnt := unescape(fields[1])
		if under(p, mnt) && len(mnt) >= len(best) {
			best, opts = mnt, fields[3]
		}
	}
	for _, o := range strings.Split(opts, ",") {
		if o == "noatime" {
			return true
		}
	}
	return false
}

func under(p, mnt string) bool {
	return mnt == "/" || p == mnt || strings.HasPrefix(p, strings.TrimSuffix(mnt, "/")+"/")
}

// unescape decodes the octal escapes (\040 for a space) of /proc/mounts.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b bytes.Buffer
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			var v byte
			if _, err := fmt.Sscanf(s[i+1:i+4], "%03o", &v); err == nil {
				b.WriteByte(v)
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// Clock returns the scan's clock, or the current time when a caller left
// it unset.
func Clock(now time.Time) time.Time {
	if now.IsZero() {
		return time.Now()
	}
	return now
}
