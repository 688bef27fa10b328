package credfiles

import (
	"net/url"
	"strings"

	"github.com/nhiradar/nhiradar/plugins/sdk/decoy"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// parseNetrc reads .netrc: each machine's login and password
// (principal login@machine).
func parseNetrc(in input) ([]finding, error) {
	var out []finding
	var machine, login, password string
	flush := func() {
		if machine != "" && password != "" && !decoy.Placeholder(password) {
			out = append(out, finding{kind: event.KindNetrcPassword, principal: login + "@" + machine,
				fingerprint: in.fp.Of(password), key: "password", attrs: map[string]string{"machine": machine}})
		}
		login, password = "", ""
	}
	toks := strings.Fields(stripComments(string(in.content)))
	for i := 0; i < len(toks); i++ {
		next := func() string {
			if i+1 < len(toks) {
				i++
				return toks[i]
			}
			return ""
		}
		switch toks[i] {
		case "machine":
			flush()
			machine = next()
		case "default":
			flush()
			machine = "default"
		case "login":
			login = next()
		case "password":
			password = next()
		case "account", "port":
			next()
		case "macdef": // a macro runs to the next blank line; not credentials
			flush()
			machine = ""
		}
	}
	flush()
	return out, nil
}

func stripComments(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		if t := strings.TrimSpace(l); strings.HasPrefix(t, "#") {
			continue
		}
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}

// parseGitCredentials reads git's credential store: one URL with user and
// password or token per line (principal user@host).
func parseGitCredentials(in input) ([]finding, error) {
	var out []finding
	eachLine(in, in.path, in.content, func(line string) {
		u, err := url.Parse(strings.TrimSpace(line))
		if err != nil || u.User == nil {
			return
		}
		pass, ok := u.User.Password()
		if !ok || pass == "" || decoy.Placeholder(pass) {
			return
		}
		kind := event.KindGitCredential
		attrs := map[string]string{"host": u.Host}
		if tokenPrefix(pass) != "" {
			attrs["token_type"] = tokenPrefix(pass)
		}
		out = append(out, finding{kind: kind, principal: u.User.Username() + "@" + u.Host, fingerprint: in.fp.Of(pass), key: "password", attrs: attrs})
	})
	return out, nil
}

// tokenPrefix names well-known token formats by their prefix.
func tokenPrefix(s string) string {
	for p, name := range map[string]string{"ghp_": "github_pat", "gho_": "github_oauth", "github_pat_": "github_fine_grained_pat", "glpat-": "gitlab_pat"} {
		if strings.HasPrefix(s, p) {
			return name
		}
	}
	return ""
}

// parsePgpass reads .pgpass: host:port:database:user:password lines
// (principal user@host:port/database). Backslash escapes ':' and '\'.
func parsePgpass(in input) ([]finding, error) {
	var out []finding
	eachLine(in, in.path, in.content, func(line string) {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			return
		}
		f := splitEscaped(line, ':')
		if len(f) != 5 || f[4] == "" || decoy.Placeholder(f[4]) {
			return
		}
		out = append(out, finding{kind: event.KindPostgresPassword, principal: f[3] + "@" + f[0] + ":" + f[1] + "/" + f[2],
			fingerprint: in.fp.Of(f[4]), key: "password", attrs: map[string]string{"host": f[0], "database": f[2]}})
	})
	return out, nil
}

func splitEscaped(s string, sep byte) []string {
	var out []string
	var cur strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
		case s[i] == sep:
			out = append(out, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(s[i])
		}
	}
	return append(out, cur.String())
}
