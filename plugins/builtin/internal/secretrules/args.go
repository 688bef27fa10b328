package secretrules

import (
	"path"
	"strconv"
	"strings"

	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// mysqlClients take their password glued to -p.
var mysqlClients = map[string]bool{"mysql": true, "mysqldump": true, "mysqladmin": true, "mariadb": true, "mariadb-dump": true}

// ScanArgs finds secrets in a command line: --name=value and --name value
// pairs whose name says secret, NAME=value assignments (as passed to env),
// URLs with a password, and values in a known token format.
func ScanArgs(args []string) []Match {
	var out []Match
	mysql := false
	for i := 1; i < len(args); i++ {
		a := args[i]
		mysql = mysql || mysqlClients[path.Base(args[i-1])]
		switch {
		case mysql && strings.HasPrefix(a, "-p") && len(a) > 2 && !Placeholder(a[2:]):
			// mysql -pSECRET: the password glued to the flag.
			out = append(out, Match{Kind: event.KindMySQLPassword, Key: "-p", Value: a[2:]})
		case strings.HasPrefix(a, "-") && strings.Contains(a, "="):
			name, value, _ := strings.Cut(a, "=")
			if m, ok := Classify(name, value, nil); ok {
				out = append(out, m)
			}
		case strings.HasPrefix(a, "--") && i+1 < len(args) && !strings.HasPrefix(args[i+1], "-"):
			if m, ok := Classify(a, args[i+1], nil); ok && named(a) {
				out = append(out, m)
				i++
			}
		case !strings.HasPrefix(a, "-") && strings.Contains(a, "=") && !strings.ContainsAny(a[:strings.Index(a, "=")], "/ "):
			name, value, _ := strings.Cut(a, "=")
			if m, ok := Classify(name, value, nil); ok {
				out = append(out, m)
			}
		default:
			if m, ok := Classify("", a, nil); ok {
				m.Key = "argv[" + strconv.Itoa(i) + "]"
				out = append(out, m)
			}
		}
	}
	return out
}

// named reports whether a flag's name alone says it holds a secret, so
// that "--token X" takes X but "--verbose X" never does.
func named(flag string) bool {
	n := normName(flag)
	return secretName.MatchString(n) && !notSecretName.MatchString(n)
}

// Redacted replaces a secret in text that leaves a plugin.
const Redacted = "[redacted]"

// Redact returns a command line with secrets replaced by Redacted. It errs
// on the side of hiding: every value of a secret-named flag or assignment,
// and a mysql -p password, are hidden even when short or placeholder-like;
// URL passwords and values in a known token format too. The first word
// (the program) is kept.
func Redact(cmdline string) string {
	words := strings.Fields(cmdline)
	if len(words) == 0 {
		return cmdline
	}
	secrets := map[string]bool{}
	for _, m := range ScanArgs(words) {
		secrets[m.Value] = true
	}
	mysql := false
	for i := 1; i < len(words); i++ {
		w := words[i]
		mysql = mysql || mysqlClients[path.Base(words[i-1])]
		name, value, assign := strings.Cut(w, "=")
		switch {
		case mysql && strings.HasPrefix(w, "-p") && len(w) > 2:
			words[i] = "-p" + Redacted
		case assign && value != "" && named(name):
			words[i] = name + "=" + Redacted
		case !strings.HasPrefix(w, "-") && strings.HasPrefix(words[i-1], "--") && !strings.Contains(words[i-1], "=") && named(words[i-1]):
			words[i] = Redacted
		case strings.Contains(w, "://") && strings.Contains(w, "@"):
			words[i] = redactURL(w)
		default:
			for s := range secrets {
				words[i] = strings.ReplaceAll(words[i], s, Redacted)
			}
		}
	}
	return strings.Join(words, " ")
}

// redactURL hides the password of user:password@ in a word holding a URL.
func redactURL(w string) string {
	scheme, rest, _ := strings.Cut(w, "://")
	userinfo, host, ok := strings.Cut(rest, "@")
	if !ok || strings.Contains(userinfo, "/") {
		return w
	}
	user, _, hasPw := strings.Cut(userinfo, ":")
	if !hasPw {
		return w
	}
	return scheme + "://" + user + ":" + Redacted + "@" + host
}
