// Package secretrules tells secrets from other values in name=value pairs
// and command lines: by name (*_TOKEN, --db-password), by known token
// formats, and minus placeholders. The processes plugin uses it to find
// secrets in environments and arguments; plugins that report command
// lines (sudo rules, logged sudo commands) use Redact on them.
package secretrules

import (
	"net/url"
	"regexp"
	"strings"

	"github.com/nhiradar/nhiradar/plugins/builtin/internal/llmkeys"
	"github.com/nhiradar/nhiradar/plugins/builtin/kubernetes"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// Match is a secret found in a variable or argument. Value stays inside
// the plugin: only its fingerprint is emitted.
type Match struct {
	Kind      event.Kind
	Key       string
	Principal string
	Value     string
	// Provider is the AI model provider of an llm_api_key.
	Provider string
}

// formats are token formats recognised by value, whatever the name.
var formats = []struct {
	re   *regexp.Regexp
	kind event.Kind
}{
	{regexp.MustCompile(`^(ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}$|^github_pat_[A-Za-z0-9_]{60,}$`), event.KindGitHubToken},
	{regexp.MustCompile(`^glpat-[A-Za-z0-9_-]{20,}$`), event.KindAPIKey},
	{regexp.MustCompile(`^xox[abposr]-[A-Za-z0-9-]{10,}$`), event.KindAPIKey},
	{regexp.MustCompile(`^(sk|rk)_live_[A-Za-z0-9]{20,}$`), event.KindAPIKey},
	{regexp.MustCompile(`^npm_[A-Za-z0-9]{36}$`), event.KindNPMToken},
	{regexp.MustCompile(`^pypi-AgE[A-Za-z0-9_-]{50,}$`), event.KindPyPIToken},
}

// secretName matches variable and flag names (upper case, '-' as '_') that
// hold secrets; notSecretName removes those that name a file, an id or a
// setting about the secret rather than the secret.
var (
	secretName    = regexp.MustCompile(`(^|_)(PASSWORD|PASSWD|PASS|SECRET|TOKEN|APIKEY|API_KEY|ACCESS_KEY|PRIVATE_KEY|SECRET_KEY|CREDENTIALS?|AUTH_KEY)($|_)|_KEY$`)
	notSecretName = regexp.MustCompile(`_(ID|FILE|PATH|DIR|URL|URI|USER|USERNAME|NAME|TYPE|LENGTH|LEN|HEADER|ENDPOINT|HOST|PORT|REGION|ENABLED|TTL|EXPIRY|PREFIX)$|(PUBLIC|PUBLISHABLE)_KEY$`)
	// Names that match the pattern but never hold a secret.
	benignNames = map[string]bool{"PWD": true, "OLDPWD": true, "GPG_KEY": true, "SORT_KEY": true, "PARTITION_KEY": true, "CACHE_KEY": true}
)

// normName upper-cases a name and turns '-' into '_'.
func normName(s string) string {
	return strings.ToUpper(strings.ReplaceAll(strings.TrimLeft(s, "-"), "-", "_"))
}

// Classify says whether name=value is a secret, and of what kind. env is
// the process's other variables, for principals held beside the secret
// (AWS_ACCESS_KEY_ID next to AWS_SECRET_ACCESS_KEY).
func Classify(name, value string, env map[string]string) (Match, bool) {
	n := normName(name)
	v := strings.TrimSpace(value)
	if benignNames[n] || Placeholder(v) {
		return Match{}, false
	}
	m := Match{Key: name, Value: v}
	if c, err := kubernetes.ParseToken([]byte(v)); err == nil {
		m.Kind, m.Principal = event.KindKubernetesSAToken, c.Principal()
		return m, true
	}
	if p, ok := llmkeys.Of(n, v); ok && (secretName.MatchString(n) || llmByValue(v)) {
		// The name decides between providers (DEEPSEEK_API_KEY=sk-…); the
		// prefix alone names one wherever the value sits.
		m.Kind, m.Principal, m.Provider = event.KindLLMAPIKey, llmkeys.Principal(p, env["AZURE_OPENAI_ENDPOINT"]), p
		return m, true
	}
	for _, f := range formats {
		if f.re.MatchString(v) {
			m.Kind = f.kind
			return m, true
		}
	}
	if user, host, pw, ok := urlCredential(v); ok {
		// The password alone is the secret, so that it has the same
		// fingerprint here as in a .pgpass or .netrc.
		m.Kind, m.Principal, m.Value = event.KindPassword, user+"@"+host, pw
		return m, true
	}
	switch {
	case n == "AWS_SECRET_ACCESS_KEY":
		m.Kind, m.Principal = event.KindAWSAccessKey, env["AWS_ACCESS_KEY_ID"]
	case n == "AWS_SESSION_TOKEN":
		m.Kind, m.Principal = event.KindAWSSessionToken, env["AWS_ACCESS_KEY_ID"]
	case !secretName.MatchString(n) || notSecretName.MatchString(n):
		return Match{}, false
	case strings.Contains(n, "PASS"):
		m.Kind = event.KindPassword
	case strings.Contains(n, "API_KEY") || strings.Contains(n, "APIKEY"):
		m.Kind = event.KindAPIKey
	default:
		m.Kind = event.KindGenericSecret
	}
	return m, true
}

func llmByValue(v string) bool {
	_, ok := llmkeys.ByValue(v)
	return ok
}

// urlCredential finds user:password@host in a URL value.
func urlCredential(v string) (user, host, password string, ok bool) {
	if !strings.Contains(v, "://") || !strings.Contains(v, "@") {
		return "", "", "", false
	}
	u, err := url.Parse(v)
	if err != nil || u.User == nil {
		return "", "", "", false
	}
	pw, set := u.User.Password()
	if !set || Placeholder(pw) {
		return "", "", "", false
	}
	return u.User.Username(), u.Hostname(), pw, true
}

var placeholderWords = []string{
	"example", "changeme", "changeit", "change_me", "change-me", "placeholder", "your-", "your_", "yourapi", "redacted",
	"replace", "dummy", "xxxx", "****", "...", "secret-here", "insert", "todo", "fixme", "notset", "not-set",
}

// Placeholder reports values that stand for a secret without being one:
// short values, references (${VAR}, $VAR, <token>), paths, numbers, single
// repeated characters and documentation words.
func Placeholder(v string) bool {
	l := strings.ToLower(v)
	if len(v) < 8 || strings.ContainsAny(v[:1], "$<{[%/~.") || strings.HasSuffix(v, ">") {
		return true
	}
	switch l {
	case "password", "secret", "token", "none", "null", "undefined", "true", "false", "disabled", "password123", "12345678":
		return true
	}
	for _, w := range placeholderWords {
		if strings.Contains(l, w) {
			return true
		}
	}
	digits, same := true, true
	for i := 0; i < len(v); i++ {
		digits = digits && v[i] >= '0' && v[i] <= '9'
		same = same && v[i] == v[0]
	}
	return digits || same || strings.ContainsAny(v, " \t\n")
}
