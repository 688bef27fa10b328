package credfiles

import (
	"strings"
)

// Values of attrs.source: where in a unit or crontab a secret was found.
const (
	sourceExecStart       = "exec_start"
	sourceEnvironment     = "environment"
	sourceEnvironmentFile = "environment_file"
	sourceCronCommand     = "cron_command"
	sourceCronEnvironment = "cron_environment"
)

// parseSystemdUnit reads a unit's Environment= assignments and the files its
// EnvironmentFile= lines name (reported at that file's location), and
// secrets passed as ExecStart= arguments. Every finding runs as the unit's
// User= (root when the unit names none, as systemd does), whoever owns the
// file.
func parseSystemdUnit(in input) ([]finding, error) {
	var as []assignment
	var fromFiles []finding
	user := ""
	eachLine(in, in.path, in.content, func(line string) {
		key, val, ok := strings.Cut(strings.TrimSpace(line), "=")
		if !ok {
			return
		}
		switch strings.TrimSpace(key) {
		case "User":
			user = strings.TrimSpace(val)
		case "Environment":
			for _, w := range shellWords(val) {
				if n, v, ok := strings.Cut(w, "="); ok && validName(n) {
					as = append(as, assignment{name: n, value: v, source: sourceEnvironment})
				}
			}
		case "EnvironmentFile":
			fromFiles = append(fromFiles, environmentFile(in, val)...)
		case "ExecStart", "ExecStartPre", "ExecStartPost", "ExecReload":
			as = append(as, withSources(argSecrets(shellWords(val)), sourceExecStart)...)
		}
	})
	out := append(classify(in, as), fromFiles...)
	if user == "" && len(out) > 0 {
		user = dropInUser(in)
	}
	if user == "" {
		user = "root"
	}
	for i := range out {
		out[i].account = user
	}
	return out, nil
}

// unitDirs are where systemd looks for a drop-in's unit, in its order.
var unitDirs = []string{"/etc/systemd/system", "/run/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system"}

// dropInUser returns the User= of the unit a drop-in (foo.service.d/x.conf)
// extends: a drop-in that sets no User= runs as its unit does.
func dropInUser(in input) string {
	dir := in.path[:strings.LastIndexByte(in.path, '/')]
	unit, ok := strings.CutSuffix(dir[strings.LastIndexByte(dir, '/')+1:], ".d")
	if !ok {
		return ""
	}
	for _, d := range unitDirs {
		b, err := in.root.ReadFile(d+"/"+unit, maxFileSize)
		if err != nil {
			continue
		}
		user := ""
		in.root.EachLineOf(d+"/"+unit, b, maxLine, func(_ int, l []byte) error {
			if k, v, ok := strings.Cut(strings.TrimSpace(string(l)), "="); ok && strings.TrimSpace(k) == "User" {
				user = strings.TrimSpace(v)
			}
			return nil
		})
		return user
	}
	return ""
}

// environmentFile reads the file an EnvironmentFile= line names; its
// findings are reported at that file's location.
func environmentFile(in input, val string) []finding {
	p := strings.TrimPrefix(strings.TrimSpace(val), "-")
	if !strings.HasPrefix(p, "/") {
		return nil
	}
	b, err := in.root.ReadFile(p, maxFileSize)
	if err != nil {
		return nil // noted on the root, unless absent
	}
	found := classify(in, withSources(parseAssignments(in, p, b), sourceEnvironmentFile))
	// The unit's own annotations reach these too (scanFile adds them); the
	// environment file may name an owner of its own.
	annotated := ownerAnnotations(b)
	for i := range found {
		found[i].location = p
		found[i].hints = append(found[i].hints, annotated...)
	}
	return found
}

func withSources(as []assignment, source string) []assignment {
	for i := range as {
		as[i].source = source
	}
	return as
}

// parseCrontab reads a cron table: NAME=value lines and secrets passed to
// the commands (inline NAME=value, --password=…, URLs with a password,
// `curl -u user:pass`, `Authorization: Bearer …`). A command's secret runs
// as the job's user: the user field of /etc/crontab and /etc/cron.d lines,
// the table's owner (its file name) under /var/spool/cron.
func parseCrontab(in input) ([]finding, error) {
	owner, system := crontabOwner(in.path)
	var env, jobs []assignment
	users := map[string]bool{}
	eachLine(in, in.path, in.content, func(line string) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			return
		}
		if n, v, ok := strings.Cut(line, "="); ok && validName(strings.TrimSpace(n)) {
			env = append(env, assignment{name: strings.TrimSpace(n), value: unquote(strings.TrimSpace(v)), source: sourceCronEnvironment})
			return
		}
		user, words := owner, shellWords(line)
		if system {
			user, words = cronUser(words)
		}
		users[user] = true
		as := withSources(argSecrets(words), sourceCronCommand)
		for i := range as {
			as[i].account = user
		}
		jobs = append(jobs, as...)
	})
	// The table's NAME=value lines reach every job: their account is the
	// jobs' one user, or unknown (the file owner) when the jobs differ.
	envUser := owner
	if system {
		envUser = ""
		if len(users) == 1 {
			for u := range users {
				envUser = u
			}
		}
	}
	for i := range env {
		env[i].account = envUser
	}
	return classify(in, append(env, jobs...)), nil
}

// crontabOwner tells a per-user table (under /var/spool/cron, named after
// its owner) from a system one, whose lines carry a user field.
func crontabOwner(p string) (owner string, system bool) {
	if strings.HasPrefix(p, "/var/spool/cron/") {
		return p[strings.LastIndex(p, "/")+1:], false
	}
	return "", true
}

// cronUser splits a system crontab line's schedule and user field from its
// command: five time fields or one @keyword, then the user.
func cronUser(words []string) (user string, command []string) {
	n := 5
	if len(words) > 0 && strings.HasPrefix(words[0], "@") {
		n = 1
	}
	if len(words) <= n {
		return "", nil
	}
	return words[n], words[n+1:]
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
				out = append(out, assignment{name: strings.ReplaceAll(strings.ToUpper(n), "-", "_"), value: v})
			}
		case strings.HasPrefix(w, "--") && secretName.MatchString(w) && next != "" && !strings.HasPrefix(next, "-"):
			out = append(out, assignment{name: strings.ReplaceAll(strings.ToUpper(strings.TrimLeft(w, "-")), "-", "_"), value: next})
		case w == "-u" && strings.Contains(next, ":"):
			_, pass, _ := strings.Cut(next, ":")
			out = append(out, assignment{name: "CURL_USER_PASSWORD", value: pass, structured: true})
		case strings.HasPrefix(strings.ToLower(w), "authorization: bearer "):
			out = append(out, assignment{name: "AUTHORIZATION_BEARER_TOKEN", value: strings.TrimSpace(w[len("authorization: bearer "):]), structured: true})
		case urlWithCreds.MatchString(w):
			out = append(out, assignment{name: "URL", value: w})
		default:
			if n, v, ok := strings.Cut(w, "="); ok && validName(n) {
				out = append(out, assignment{name: n, value: v})
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
