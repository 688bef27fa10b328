package credfiles

import (
	"net/url"
	"regexp"
	"strings"

	"github.com/nhiradar/nhiradar/plugins/builtin/internal/llmkeys"
	"github.com/nhiradar/nhiradar/plugins/builtin/internal/principal"
	"github.com/nhiradar/nhiradar/plugins/sdk/decoy"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// assignment is one NAME=value pair from an env file, unit or crontab.
type assignment struct {
	name, value string
	// source says where in a unit or crontab it was found (attrs.source);
	// empty in a plain env file.
	source string
	// account runs the command that holds it (a cron job's user); empty
	// means the parser's or the file's account.
	account string
	// structured is a value the command's syntax defines as a credential
	// (curl -u's password, an Authorization header): only placeholders are
	// decoys, whatever the value looks like.
	structured bool
}

var (
	secretName    = regexp.MustCompile(`(?i)secret|token|passw(or)?d|pwd$|api_?key|access_?key|private_?key|credential|auth`)
	notSecretName = regexp.MustCompile(`(?i)(_id|_name|_path|_file|_dir|_host|_port|_user|_username|_region|_endpoint|_type|_ttl|_expiry|_expires|_length|_algorithm|_enabled|_header|_uri|_url)$`)
	urlWithCreds  = regexp.MustCompile(`^[a-z][a-z0-9+.-]*://[^/\s:@]*:[^/\s@]+@`)
)

// parseEnvFile reads a dotenv / EnvironmentFile: NAME=value lines.
func parseEnvFile(in input) ([]finding, error) {
	return classify(in, parseAssignments(in, in.path, in.content)), nil
}

// parseAssignments reads NAME=value lines, with optional `export`, quotes
// and trailing comments.
func parseAssignments(in input, path string, content []byte) []assignment {
	var out []assignment
	eachLine(in, path, content, func(line string) {
		line = strings.TrimPrefix(strings.TrimSpace(line), "export ")
		name, value, ok := strings.Cut(line, "=")
		if !ok || strings.HasPrefix(line, "#") || !validName(strings.TrimSpace(name)) {
			return
		}
		out = append(out, assignment{name: strings.TrimSpace(name), value: unquote(strings.TrimSpace(value))})
	})
	return out
}

// eachLine hands fn every line of content, read from host path p; a line
// over maxLine is skipped and noted on the root, and the rest still read.
func eachLine(in input, p string, content []byte, fn func(line string)) {
	in.root.EachLineOf(p, content, maxLine, func(_ int, l []byte) error {
		fn(string(l))
		return nil
	})
}

func validName(n string) bool {
	if n == "" {
		return false
	}
	for i, c := range n {
		if !(c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// unquote strips matching quotes, or a trailing " #comment" from an unquoted value.
func unquote(v string) string {
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') {
		if i := strings.IndexByte(v[1:], v[0]); i >= 0 {
			return v[1 : 1+i]
		}
	}
	if i := strings.Index(v, " #"); i >= 0 {
		v = v[:i]
	}
	return strings.TrimSpace(v)
}

// classify turns assignments into findings: a variable is a credential by
// its name (…_SECRET, …_TOKEN, …PASSWORD, …API_KEY) or its value (a known
// token prefix, a URL with a password). Pairs are joined: the AWS secret
// key's principal is the file's AWS_ACCESS_KEY_ID, Azure's client secret's
// the AZURE_CLIENT_ID, a password's the user beside it (DB_USER next to
// DB_PASSWORD), FOO_SECRET's FOO_KEY_ID.
func classify(in input, as []assignment) []finding {
	vars := map[string]string{}
	for _, a := range as {
		vars[principal.Normalize(a.name)] = a.value
	}
	var out []finding
	for _, a := range as {
		if f, ok := classifyOne(in, a, vars); ok {
			if f.principal == "" {
				f.principal = principal.Find(a.name, vars)
			}
			f.account = a.account
			out = append(out, withSource(f, a.source))
		}
	}
	return out
}

// withSource records in attrs.source where a unit's or crontab's secret
// was found: governance tells a command-line secret (visible in ps) from an
// environment one by it.
func withSource(f finding, source string) finding {
	if source == "" {
		return f
	}
	attrs := make(map[string]string, len(f.attrs)+1)
	for k, v := range f.attrs {
		attrs[k] = v
	}
	attrs["source"] = source
	f.attrs = attrs
	return f
}

func classifyOne(in input, a assignment, vars map[string]string) (finding, bool) {
	name, v := strings.ToUpper(a.name), a.value
	if urlWithCreds.MatchString(v) {
		return urlFinding(in, a)
	}
	_, llmByValue := llmkeys.ByValue(v)
	byValue := tokenPrefix(v) != "" || strings.HasPrefix(v, "npm_") || strings.HasPrefix(v, "pypi-") || llmByValue
	if !byValue && (!secretName.MatchString(name) || notSecretName.MatchString(name)) {
		return finding{}, false
	}
	if a.structured && decoy.Placeholder(v) ||
		!a.structured && (decoy.InContext(v, a.name) || strings.HasPrefix(v, "/") || len(v) < 8 && !strings.Contains(name, "PASS")) {
		return finding{}, false
	}
	f := finding{kind: event.KindAPIKey, fingerprint: in.fp.Of(v), key: a.name}
	switch {
	case name == "AWS_SECRET_ACCESS_KEY":
		id := vars["AWS_ACCESS_KEY_ID"]
		if decoy.Value(id) {
			return finding{}, false
		}
		f.kind, f.principal = event.KindAWSAccessKey, id
		if strings.HasPrefix(id, "ASIA") {
			f.kind = event.KindAWSSessionToken
		}
	case name == "AZURE_CLIENT_SECRET":
		f.kind, f.principal = event.KindAzureClientSecret, vars["AZURE_CLIENT_ID"]
	case llmProvider(a.name, v) != "":
		p := llmProvider(a.name, v)
		f.kind, f.principal = event.KindLLMAPIKey, llmkeys.Principal(p, vars["AZURE_OPENAI_ENDPOINT"])
		f.attrs = map[string]string{"provider": p}
	case strings.HasPrefix(v, "glpat-"):
		f.kind = event.KindGitLabToken
	case tokenPrefix(v) != "" || strings.Contains(name, "GITHUB") || name == "GH_TOKEN":
		f.kind = event.KindGitHubToken
	case strings.HasPrefix(v, "npm_") || strings.HasPrefix(name, "NPM_"):
		f.kind = event.KindNPMToken
	case strings.HasPrefix(v, "pypi-"):
		f.kind = event.KindPyPIToken
	case strings.HasPrefix(name, "TF_TOKEN_"):
		f.kind, f.principal = event.KindTerraformToken, strings.ReplaceAll(strings.TrimPrefix(a.name, "TF_TOKEN_"), "_", ".")
	case strings.Contains(name, "PASS") || strings.HasSuffix(name, "PWD"):
		f.kind = event.KindPassword
	case !strings.Contains(name, "KEY") && !strings.Contains(name, "TOKEN"):
		f.kind = event.KindGenericSecret
	}
	return f, true
}

// llmProvider returns the AI provider a key stored under name serves, or "".
func llmProvider(name, v string) string {
	p, _ := llmkeys.Of(name, v)
	return p
}

// urlFinding reports the password in a URL (postgres://user:pass@host/db):
// principal user@host.
func urlFinding(in input, a assignment) (finding, bool) {
	u, err := url.Parse(a.value)
	if err != nil || u.User == nil {
		return finding{}, false
	}
	pass, _ := u.User.Password()
	if decoy.Placeholder(pass) { // the URL's syntax says it is a password
		return finding{}, false
	}
	kind := event.KindPassword
	switch u.Scheme {
	case "postgres", "postgresql":
		kind = event.KindPostgresPassword
	case "mysql":
		kind = event.KindMySQLPassword
	}
	return finding{kind: kind, principal: u.User.Username() + "@" + u.Host, fingerprint: in.fp.Of(pass), key: a.name,
		attrs: map[string]string{"scheme": u.Scheme}}, true
}
