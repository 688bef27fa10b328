package sshkeys

import (
	"errors"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/nhiradar/nhiradar/plugins/sdk/hostfs"
)

// defaultAuthorizedKeys is sshd's AuthorizedKeysFile default.
var defaultAuthorizedKeys = []string{".ssh/authorized_keys", ".ssh/authorized_keys2"}

// authFile is one authorized_keys file and the account it lets in.
type authFile struct {
	account string
	path    string
}

// authorizedFiles expands sshd's AuthorizedKeysFile for every account of
// /etc/passwd and every home directory, so that keys kept centrally (such
// as /etc/ssh/authorized_keys/%u) are found as well as ~/.ssh ones.
func authorizedFiles(root hostfs.Root) []authFile {
	patterns := authorizedPatterns(root)
	seen := map[string]bool{}
	var out []authFile
	add := func(account, home string) {
		for _, p := range patterns {
			if f, ok := expand(p, account, home); ok && !seen[f] {
				seen[f] = true
				out = append(out, authFile{account: account, path: f})
			}
		}
	}
	accounts, _ := root.Accounts()
	for _, a := range accounts {
		add(a.Name, a.Home)
	}
	for _, h := range root.Homes() {
		add(h.Account, h.Dir)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
	return out
}

// expand replaces %% %h %u in an AuthorizedKeysFile pattern; a relative
// result is under the home directory. ok is false when a token cannot be
// filled in.
func expand(pattern, account, home string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(pattern); i++ {
		if pattern[i] != '%' || i+1 == len(pattern) {
			b.WriteByte(pattern[i])
			continue
		}
		i++
		switch pattern[i] {
		case '%':
			b.WriteByte('%')
		case 'h':
			b.WriteString(home)
		case 'u':
			if account == "" {
				return "", false
			}
			b.WriteString(account)
		default:
			return "", false
		}
	}
	p := b.String()
	if !strings.HasPrefix(p, "/") {
		if home == "" || home == "/" {
			return "", false
		}
		p = home + "/" + p
	}
	return path.Clean(p), true
}

// authorizedPatterns reads AuthorizedKeysFile from /etc/ssh/sshd_config
// and the files it includes; as in sshd the first value wins, and Match
// blocks are not followed.
func authorizedPatterns(root hostfs.Root) []string {
	if v, ok := sshdOption(root, "/etc/ssh/sshd_config", "authorizedkeysfile", 0); ok {
		if len(v) == 1 && strings.EqualFold(v[0], "none") {
			return nil
		}
		return v
	}
	return defaultAuthorizedKeys
}

func sshdOption(root hostfs.Root, file, name string, depth int) ([]string, bool) {
	if depth > 4 {
		return nil, false
	}
	var value []string
	found, stop := false, errors.New("done")
	root.EachLine(file, maxConfigFile, maxConfigLine, func(_ int, b []byte) error {
		value, found = sshdLine(root, strings.Fields(string(b)), name, depth)
		if found || value != nil {
			return stop
		}
		return nil
	})
	return value, found
}

// sshdLine reads one sshd_config line: (value, true) when it sets name,
// (non-nil empty, false) at a Match block, which ends the search.
func sshdLine(root hostfs.Root, f []string, name string, depth int) ([]string, bool) {
	if len(f) == 0 || strings.HasPrefix(f[0], "#") {
		return nil, false
	}
	key := strings.ToLower(strings.TrimSuffix(f[0], "="))
	switch key {
	case "match":
		return []string{}, false
	case "include":
		for _, pat := range f[1:] {
			if !strings.HasPrefix(pat, "/") {
				pat = "/etc/ssh/" + pat
			}
			matches, _ := filepath.Glob(root.Path(pat))
			sort.Strings(matches)
			for _, m := range matches {
				if v, ok := sshdOption(root, root.HostPath(m), name, depth+1); ok {
					return v, true
				}
			}
		}
	case name:
		return f[1:], len(f) > 1
	}

	return nil, false
}
