package accounts

import (
	"io/fs"
	"path"
	"strconv"
	"strings"
	"syscall"

	"github.com/nhiradar/nhiradar/plugins/sdk/hostfs"
)

// Account is an OS account with what is known about its use.
type Account struct {
	hostfs.Account
	// Service is true when the account is a service account, not a person.
	Service bool
	// Reasons are the signals that classified it, such as "system_uid",
	// "nologin_shell", "systemd_unit:etl-sync.service", "cron:/etc/cron.d/x".
	Reasons []string
	// Groups are the supplementary and primary group names.
	Groups []string
}

// Ranges are the uid ranges of login.defs(5).
type Ranges struct{ UIDMin, UIDMax int }

// loginDefs reads UID_MIN and UID_MAX from /etc/login.defs, with the
// shadow-utils defaults (1000 and 60000) for what is absent.
func loginDefs(root hostfs.Root) Ranges {
	r := Ranges{UIDMin: 1000, UIDMax: 60000}
	root.EachLine("/etc/login.defs", maxConfigFile, maxLine, func(_ int, b []byte) error {
		f := strings.Fields(string(b))
		if len(f) < 2 {
			return nil
		}
		n, err := strconv.Atoi(f[1])
		if err != nil {
			return nil
		}
		switch f[0] {
		case "UID_MIN":
			r.UIDMin = n
		case "UID_MAX":
			r.UIDMax = n
		}
		return nil
	})
	return r
}

var noLoginShells = map[string]bool{"nologin": true, "false": true, "sync": true, "halt": true, "shutdown": true}

// serviceWords are name parts that mark automation rather than a person.
var serviceWords = map[string]bool{
	"svc": true, "service": true, "bot": true, "deploy": true, "deployer": true, "ci": true, "cd": true,
	"jenkins": true, "runner": true, "robot": true, "automation": true, "ansible": true, "etl": true,
	"sync": true, "agent": true, "daemon": true, "batch": true, "cron": true, "app": true,
}

// Classify reads the host's accounts and tells service accounts from people.
// root (uid 0) is left out: it is the administrator, reported by the sudo
// and login evidence of the people who use it.
//
// A passwd file that could not be read in full (a FIFO, a line over the
// limit) is the host's problem, noted on root: the accounts read are
// classified and the scan goes on.
func Classify(root hostfs.Root) ([]Account, error) {
	list, _ := root.Accounts()
	ranges := loginDefs(root)
	units, crons, daemons := ServiceUsers(root), CronUsers(root), DaemonUIDs(root)
	groups := memberships(root, list)
	var out []Account
	for _, a := range list {
		if a.UID == 0 {
			continue
		}
		acc := Account{Account: a, Groups: groups[a.Name]}
		if a.UID < ranges.UIDMin || a.UID > ranges.UIDMax {
			acc.Reasons = append(acc.Reasons, "system_uid")
		}
		if noLoginShells[path.Base(a.Shell)] {
			acc.Reasons = append(acc.Reasons, "nologin_shell")
		}
		for _, u := range units[a.Name] {
			acc.Reasons = append(acc.Reasons, "systemd_unit:"+u)
		}
		for _, c := range crons[a.Name] {
			acc.Reasons = append(acc.Reasons, "cron:"+c)
		}
		for _, c := range daemons[a.UID] {
			acc.Reasons = append(acc.Reasons, "daemon_process:"+c)
		}
		if serviceName(a.Name, a.Gecos) {
			acc.Reasons = append(acc.Reasons, "service_name")
		}
		acc.Service = decisive(acc.Reasons, a.Home)
		out = append(out, acc)
	}
	return out, nil
}

// decisive reports whether the reasons make an account a service account. A
// crontab alone does not for an account living in /home: people schedule
// their own jobs too. For an account whose home is elsewhere (/srv/reports)
// a crontab is what it exists for.
func decisive(reasons []string, home string) bool {
	personal := strings.HasPrefix(home, "/home/")
	for _, r := range reasons {
		if !strings.HasPrefix(r, "cron:") || !personal {
			return true
		}
	}
	return false
}

// serviceName reports whether the account name, or the first field of its
// GECOS, is made of words that mark automation.
func serviceName(name, gecos string) bool {
	split := func(s string) []string {
		return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return r == '-' || r == '_' || r == '.' || r == ' ' })
	}
	full, _, _ := strings.Cut(gecos, ",")
	for _, w := range append(split(name), split(full)...) {
		if serviceWords[w] {
			return true
		}
	}
	return false
}

// memberships maps account names to their group names (primary first).
func memberships(root hostfs.Root, list []hostfs.Account) map[string][]string {
	out := map[string][]string{}
	byGID := map[int]string{}
	members := map[string][]string{}
	root.EachLine("/etc/group", maxGroupFile, maxGroupLine, func(_ int, b []byte) error {
		f := strings.Split(strings.TrimSpace(string(b)), ":")
		if len(f) != 4 {
			return nil
		}
		if gid, err := strconv.Atoi(f[2]); err == nil {
			byGID[gid] = f[0]
		}
		for _, m := range splitList(f[3]) {
			members[m] = append(members[m], f[0])
		}
		return nil
	})
	for _, a := range list {
		if g, ok := byGID[a.GID]; ok {
			out[a.Name] = append(out[a.Name], g)
		}
		for _, g := range members[a.Name] {
			out[a.Name] = appendOnce(out[a.Name], g)
		}
	}
	return out
}

func ownerUID(fi fs.FileInfo) (int, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}
