package owners

import "strings"

// systemAccounts own files on every host without owning what is in them.
var systemAccounts = map[string]bool{"root": true, "daemon": true, "bin": true, "sys": true,
	"nobody": true, "adm": true, "admin": true, "system": true, "wheel": true, "_www": true}

// hintValue takes the person out of a hint as hosts write them: "owner:alice",
// "email:alice@example.com", an annotation "Owner=alice", "X-Owner=alice" or
// "nhiradar.io/owner=alice", or just "alice".
func hintValue(h string) string {
	i := strings.IndexAny(h, ":=")
	if i < 0 {
		return strings.TrimSpace(h)
	}
	k := strings.ToLower(strings.TrimSpace(h[:i]))
	if j := strings.LastIndexAny(k, "/."); j >= 0 {
		k = k[j+1:]
	}
	switch strings.TrimPrefix(k, "x-") {
	case "owner", "email", "mail", "contact", "maintainer", "team":
		return strings.TrimSpace(h[i+1:])
	}
	return strings.TrimSpace(h)
}

// homeAccount returns the account whose home holds path: /home/<name>/…,
// /Users/<name>/… or /root/….
func homeAccount(path string) string {
	for _, prefix := range []string{"/home/", "/Users/"} {
		if rest, ok := strings.CutPrefix(path, prefix); ok {
			if name, _, ok := strings.Cut(rest, "/"); ok && name != "" {
				return name
			}
		}
	}
	if strings.HasPrefix(path, "/root/") {
		return "root"
	}
	return ""
}
