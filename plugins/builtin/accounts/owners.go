package accounts

import (
	"bytes"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/nhiradar/nhiradar/plugins/sdk/hostfs"
)

// unitDirs are where systemd units live.
var unitDirs = []string{"/etc/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system"}

// ServiceUsers maps an account name to the systemd units that run as it
// (User= in a .service unit).
func ServiceUsers(root hostfs.Root) map[string][]string {
	out := map[string][]string{}
	seen := map[string]bool{}
	for _, dir := range unitDirs {
		names, _ := readDirNames(root, dir)
		for _, n := range names {
			if !strings.HasSuffix(n, ".service") || seen[n] {
				continue
			}
			// Aliases (dbus-org.*.service) are links to a unit counted once.
			if fi, err := os.Lstat(root.Path(path.Join(dir, n))); err != nil || !fi.Mode().IsRegular() {
				continue
			}
			seen[n] = true // /etc overrides /lib, as in systemd
			if u := unitUser(root, path.Join(dir, n)); u != "" {
				out[u] = append(out[u], n)
			}
		}
	}
	return out
}

func unitUser(root hostfs.Root, unit string) string {
	user := ""
	root.EachLine(unit, maxConfigFile, maxLine, func(_ int, b []byte) error {
		k, v, ok := strings.Cut(strings.TrimSpace(string(b)), "=")
		if ok && strings.TrimSpace(k) == "User" {
			user = strings.TrimSpace(v)
		}
		return nil
	})
	return user
}

// CronUsers maps an account name to the cron tables that run jobs as it:
// the user field of /etc/crontab and /etc/cron.d/*, and per-user tables in
// /var/spool/cron/crontabs (Debian) or /var/spool/cron (Red Hat).
func CronUsers(root hostfs.Root) map[string][]string {
	out := map[string][]string{}
	system := []string{"/etc/crontab"}
	names, _ := readDirNames(root, "/etc/cron.d")
	for _, n := range names {
		system = append(system, "/etc/cron.d/"+n)
	}
	for _, f := range system {
		for _, u := range systemCronUsers(root, f) {
			out[u] = appendOnce(out[u], f)
		}
	}
	for _, dir := range []string{"/var/spool/cron/crontabs", "/var/spool/cron"} {
		names, _ := readDirNames(root, dir)
		for _, n := range names {
			if fi, err := os.Stat(root.Path(dir + "/" + n)); err == nil && fi.Mode().IsRegular() {
				out[n] = appendOnce(out[n], dir+"/"+n)
			}
		}
	}
	return out
}

// systemCronUsers returns the user field of each job line of a system crontab.
func systemCronUsers(root hostfs.Root, crontab string) []string {
	var out []string
	root.EachLine(crontab, maxConfigFile, maxLine, func(_ int, b []byte) error {
		f := strings.Fields(string(b))
		if len(f) == 0 || strings.HasPrefix(f[0], "#") || strings.Contains(f[0], "=") {
			return nil
		}
		userField := 5
		if strings.HasPrefix(f[0], "@") {
			userField = 1
		}
		if len(f) > userField+1 {
			out = append(out, f[userField])
		}
		return nil
	})
	return out
}

// DaemonUIDs returns the uids owning daemon processes on the live host:
// processes without a terminal whose parent is init, other than a user's
// own systemd instance. It returns nil for a root other than the live "/".
func DaemonUIDs(root hostfs.Root) map[int][]string {
	if !root.Live() {
		return nil
	}
	out := map[int][]string{}
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		if _, err := strconv.Atoi(d.Name()); err != nil {
			continue
		}
		comm, ppid, tty, ok := procStat("/proc/" + d.Name() + "/stat")
		if !ok || ppid != 1 || tty != 0 || comm == "systemd" || comm == "(sd-pam)" {
			continue
		}
		fi, err := os.Stat("/proc/" + d.Name())
		if err != nil {
			continue
		}
		if uid, ok := ownerUID(fi); ok {
			out[uid] = appendOnce(out[uid], comm)
		}
	}
	return out
}

// procStat reads comm, ppid and tty_nr from /proc/PID/stat.
func procStat(p string) (comm string, ppid, tty int, ok bool) {
	b, err := hostfs.New("/").ReadFile(p, maxProcStat)
	if err != nil {
		return "", 0, 0, false
	}
	open, end := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if open < 0 || end < open {
		return "", 0, 0, false
	}
	f := strings.Fields(string(b[end+1:]))
	if len(f) < 5 {
		return "", 0, 0, false
	}
	ppid, err1 := strconv.Atoi(f[1])
	tty, err2 := strconv.Atoi(f[4])
	return string(b[open+1 : end]), ppid, tty, err1 == nil && err2 == nil
}

func readDirNames(root hostfs.Root, dir string) ([]string, error) {
	entries, err := os.ReadDir(root.Path(dir))
	if err != nil {
		root.Note(dir, err)
		return nil, err
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names, nil
}

func appendOnce(list []string, v string) []string {
	for _, x := range list {
		if x == v {
			return list
		}
	}
	return append(list, v)
}
