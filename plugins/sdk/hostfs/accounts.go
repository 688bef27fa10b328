package hostfs

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Account is one line of the host's /etc/passwd.
type Account struct {
	Name  string
	UID   int
	GID   int
	Gecos string
	Home  string
	Shell string
}

// Limits on /etc/passwd: a host with a hundred thousand accounts is a few
// megabytes; a legitimate entry is well under a kilobyte.
const (
	MaxPasswdFile = 64 << 20
	MaxPasswdLine = 16 << 10
)

// Accounts parses the host's /etc/passwd. A missing file gives no accounts.
// Lines over MaxPasswdLine are skipped: the accounts come back with a
// *LinesSkipped error saying how many.
func (r Root) Accounts() ([]Account, error) {
	list, err := r.accounts()
	return slices.Clone(list), err
}

// parsed is the last /etc/passwd parsed, with what identifies its version.
// FileMeta looks every file's owner up in it: on a host with thousands of
// accounts, parsing it again for each file was half a credential scan.
var parsed struct {
	sync.Mutex
	path     string
	size     int64
	modified time.Time
	inode    uint64
	list     []Account
	err      error
}

// accounts is Accounts without the copy, for read-only use in this package.
func (r Root) accounts() ([]Account, error) {
	path := r.Path("/etc/passwd")
	fi, err := os.Stat(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	ids, _ := fileIDs(fi)
	parsed.Lock()
	defer parsed.Unlock()
	if parsed.path == path && parsed.size == fi.Size() && parsed.modified.Equal(fi.ModTime()) && parsed.inode == ids.inode {
		r.Note("/etc/passwd", parsed.err)
		return parsed.list, parsed.err
	}
	f, err := r.Open("/etc/passwd")
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	list, err := ParsePasswd(io.LimitReader(f, MaxPasswdFile))
	var skipped *LinesSkipped
	if err != nil && !errors.As(err, &skipped) {
		return nil, fmt.Errorf("/etc/passwd: %w", err)
	}
	if skipped != nil {
		skipped.Path = "/etc/passwd"
	}
	parsed.path, parsed.size, parsed.modified, parsed.inode = path, fi.Size(), fi.ModTime(), ids.inode
	parsed.list, parsed.err = list, err
	r.Note("/etc/passwd", err)
	return list, err
}

// ParsePasswd parses passwd(5) content, skipping malformed lines; lines
// over MaxPasswdLine are skipped and reported in a *LinesSkipped error.
func ParsePasswd(rd io.Reader) ([]Account, error) {
	var out []Account
	st, err := Lines(rd, MaxPasswdLine, func(_ int, b []byte) error {
		if a, ok := passwdLine(string(b)); ok {
			out = append(out, a)
		}
		return nil
	})
	if err != nil {
		return out, err
	}
	return out, st.Partial("", MaxPasswdLine)
}

func passwdLine(line string) (Account, bool) {
	line = strings.TrimSpace(line)
	if line == "" || strings.HasPrefix(line, "#") {
		return Account{}, false
	}
	f := strings.Split(line, ":")
	if len(f) != 7 {
		return Account{}, false
	}
	uid, err1 := strconv.Atoi(f[2])
	gid, err2 := strconv.Atoi(f[3])
	if err1 != nil || err2 != nil {
		return Account{}, false
	}
	return Account{Name: f[0], UID: uid, GID: gid, Gecos: f[4], Home: f[5], Shell: f[6]}, true
}

// Home is a home directory and the account it belongs to ("" when no
// passwd entry names it).
type Home struct {
	Account string
	Dir     string
}

// Homes returns the home directories of the host: every existing home named
// in /etc/passwd, plus /root and the directories under /home.
func (r Root) Homes() []Home {
	seen := map[string]bool{}
	var out []Home
	add := func(account, dir string) {
		if dir == "" || dir == "/" || seen[dir] {
			return
		}
		if fi, err := r.Stat(dir); err != nil || !fi.IsDir() {
			return
		}
		seen[dir] = true
		out = append(out, Home{Account: account, Dir: dir})
	}
	accounts, _ := r.accounts()
	for _, a := range accounts {
		add(a.Name, a.Home)
	}
	add("root", "/root")
	entries, _ := os.ReadDir(r.Path("/home"))
	for _, e := range entries {
		if e.IsDir() {
			if fi, err := r.Stat("/home/" + e.Name()); err == nil {
				add(ownerName(fi, accounts), "/home/"+e.Name())
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Dir < out[j].Dir })
	return out
}

// Meta is what a plugin reports about the file that holds a credential.
type Meta struct {
	Owner    string
	Mode     string
	Modified time.Time
	Size     int64
	Inode    uint64
}

// FileMeta returns owner (account name from the host's passwd, else the
// numeric uid), permission bits and modification time of host path p.
func (r Root) FileMeta(p string) (Meta, error) {
	fi, err := r.Stat(p)
	if err != nil {
		return Meta{}, err
	}
	m := Meta{Mode: fmt.Sprintf("%04o", uint32(fi.Mode().Perm())), Modified: fi.ModTime().UTC(), Size: fi.Size()}
	accounts, _ := r.accounts()
	m.Owner = ownerName(fi, accounts)
	if ids, ok := fileIDs(fi); ok {
		m.Inode = ids.inode
	}
	return m, nil
}

func ownerName(fi os.FileInfo, accounts []Account) string {
	ids, ok := fileIDs(fi)
	if !ok {
		return ""
	}
	for _, a := range accounts {
		if uint32(a.UID) == ids.uid {
			return a.Name
		}
	}
	return strconv.FormatUint(uint64(ids.uid), 10)
}
