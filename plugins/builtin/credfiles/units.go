package credfiles

import (
	"strings"
)

// parseSystemdUnit reads a unit's Environment= assignments and the files its
// EnvironmentFile= lines name (reported at that file's location), and
// secrets passed as ExecStart= arguments.
func parseSystemdUnit(in input) ([]finding, error) {
	var as []assignment
	var out []finding
	eachLine(in, in.path, in.content, func(line string) {
		key, val, ok := strings.Cut(strings.TrimSpace(line), "=")
		if !ok {
			return
		}
		switch strings.TrimSpace(key) {
		case "Environment":
			for _, w := range shellWords(val) {
				if n, v, ok := strings.Cut(w, "="); ok && validName(n) {
					as = append(as, assignment{n, v})
				}
			}
		case "EnvironmentFile":
			p := strings.TrimPrefix(strings.TrimSpace(val), "-")
			if !strings.HasPrefix(p, "/") {
				return
			}
			b, err := in.root.ReadFile(p, maxFileSize)
			if err != nil {
				return // noted on the root, unless absent
			}
			for _, f := range classify(in, parseAssignments(in, p, b)) {
				f.location = p
				out = append(out, f)
			}
		case "ExecStart", "ExecStartPre", "ExecStartPost", "ExecReload":
			as = append(as, argSecrets(shellWords(val))...)
		}
	})
	return append(classify(in, as), out...), nil
}

// parseCrontab reads a cron table: NAME=value lines and secrets passed to
// the commands (inline NAME=value, --password=…, URLs with a password,
// `curl -u user:pass`, `Authorization: Bearer …`).
func parseCrontab(in input) ([]finding, error) {
	var as []assignment
	eachLine(in, in.path, in.content, func(line string) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			return
		}
		if n, v, ok := strings.Cut(line, "="); ok && validName(strings.TrimSpace(n)) {
			as = append(as, assignment{strings.TrimSpace(n), unquote(strings.TrimSpace(v))})
			return
		}
		as = append(as, argSecrets(shellWords(line))...)
	})
	return classify(in, as), nil
}

// argSecrets finds secrets in a command's words.
func argSecrets(words []string) []assignment {
	var out []assignment
	for i, w := range words {
		next := ""
		if i+1 < len(words) {
			next = words[i+1]
		}
		switch {
		case strings.HasPrefix(w, "--") && strings.Contains(w, "="):
			n, v, _ := strings.Cut(strings.TrimLeft(w, "-"), "=")
			if secretName.MatchString(n) {
				out = append(out, assignment{strings.ReplaceAll(strings.ToUpper(n), "-", "_"), v})
			}
		case strings.HasPrefix(w, "--") && secretName.MatchString(w) && next != "" && !strings.HasPrefix(next, "-"):
			out = append(out, assignment{strings.ReplaceAll(strings.ToUpper(strings.TrimLeft(w, "-")), "-", "_"), next})
		case w == "-u" && strings.Contains(next, ":"):
			_, pass, _ := strings.Cut(next, ":")
			out = append(out, assignment{"CURL_USER_PASSWORD", pass})
		case strings.HasPrefix(strings.ToLower(w), "authorization: bearer "):
			out = append(out, assignment{"AUTHORIZATION_BEARER_TOKEN", strings.TrimSpace(w[len("authorization: bearer "):])})
		case urlWithCreds.MatchString(w):
			out = append(out, assignment{"URL", w})
		default:
			if n, v, ok := strings.Cut(w, "="); ok && validName(n) {
				out = append(out, assignment{n, v})
			}
		}
	}
	return out
}

// shellWords splits a line into words, honouring single and double quotes.
func shellWords(s string) []string {
	var out []string
	var cur strings.Builder
	var quote byte
	in := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
			cur.WriteByte(c)
		case c == '"' || c == '\'':
			quote, in = c, true
		case c == ' ' || c == '\t':
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if in {
		out = append(out, cur.String())
	}
	return out
}
