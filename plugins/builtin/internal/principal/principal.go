// Package principal pairs a secret with the identifier a file names beside
// it: the client_id next to a client secret, the aws_access_key_id next to
// a secret key, the user next to a password, FOO_KEY_ID next to
// FOO_SECRET. The governance layer keys identities on that principal, so
// content-rule matches and parsed env files report it when the file says.
package principal

import (
	"strings"

	"github.com/nhiradar/nhiradar/plugins/sdk/decoy"
)

// secretSuffixes end a secret's field name, longest first: what precedes
// one is the prefix its principal shares (AZURE_CLIENT_SECRET → AZURE).
var secretSuffixes = []struct {
	suffix string
	ids    []string
}{
	{"SECRET_ACCESS_KEY", []string{"ACCESS_KEY_ID", "KEY_ID"}},
	{"CLIENT_SECRET", []string{"CLIENT_ID", "APP_ID"}},
	{"SECRET_KEY", []string{"ACCESS_KEY_ID", "ACCESS_KEY", "KEY_ID", "CLIENT_ID"}},
	{"ACCESS_SECRET", []string{"ACCESS_KEY_ID", "ACCESS_KEY", "KEY_ID"}},
	{"APP_SECRET", []string{"APP_ID", "CLIENT_ID"}},
	{"API_SECRET", []string{"API_KEY_ID", "API_KEY", "KEY_ID"}},
	{"SECRET", []string{"KEY_ID", "CLIENT_ID", "ACCESS_KEY_ID", "ID"}},
	{"PASSWORD", []string{"USERNAME", "USER", "LOGIN", "USER_NAME"}},
	{"PASSWD", []string{"USERNAME", "USER", "LOGIN"}},
	{"PASS", []string{"USERNAME", "USER", "LOGIN"}},
	{"PWD", []string{"USERNAME", "USER", "LOGIN"}},
}

// Normalize makes field names comparable: upper case, with '-', '.' and
// blanks as '_' (spring.datasource.password ~ SPRING_DATASOURCE_PASSWORD).
func Normalize(name string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '-', '.', ' ':
			return '_'
		}
		if 'a' <= r && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}, strings.Trim(name, `"' `))
}

// Fields returns the normalized names that would hold the principal of a
// secret stored under key, most specific first; nil when key does not name
// a secret with a known partner.
func Fields(key string) []string {
	k := Normalize(key)
	for _, s := range secretSuffixes {
		if k != s.suffix && !strings.HasSuffix(k, "_"+s.suffix) {
			continue
		}
		prefix := strings.TrimSuffix(k, s.suffix)
		out := make([]string, 0, len(s.ids))
		for _, id := range s.ids {
			// A bare "id" beside a bare "secret" is a row's number more
			// often than a principal.
			if prefix != "" || id != "ID" {
				out = append(out, prefix+id)
			}
		}
		return out
	}
	return nil
}

// Plausible reports whether v can be an identifier: one word, not empty,
// not a placeholder, not a path, at most 256 bytes.
func Plausible(v string) bool {
	return v != "" && len(v) <= 256 && !strings.ContainsAny(v, " \t\r\n") && !strings.HasPrefix(v, "/") && !decoy.Placeholder(v)
}

// Find returns the principal of a secret stored under key, looked up in
// fields (normalized name → value, one block of a file); "" when the block
// names none.
func Find(key string, fields map[string]string) string {
	for _, f := range Fields(key) {
		if v, ok := fields[f]; ok && Plausible(v) {
			return v
		}
	}
	return ""
}
