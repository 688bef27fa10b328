package credfiles

import (
	"context"
	"io/fs"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/nhiradar/nhiradar/plugins/builtin/internal/packaged"
	"github.com/nhiradar/nhiradar/plugins/sdk/hostfs"
)

// parser reads one kind of credential file.
type parser struct {
	name  string
	parse func(in input) ([]finding, error)
}

// homeFiles are parsed where they sit under a home directory (any depth of
// the pattern is one path element per '/').
var homeFiles = []struct {
	rel string
	p   parser
}{
	{".aws/credentials", parser{"aws", parseAWSCredentials}},
	{".aws/config", parser{"aws", parseAWSCredentials}},
	{".config/gcloud/application_default_credentials.json", parser{"gcp", parseGCPJSON}},
	{".config/gcloud/legacy_credentials/*/adc.json", parser{"gcp", parseGCPJSON}},
	{".azure/msal_token_cache.json", parser{"azure", parseAzureMSAL}},
	{".azure/service_principal_entries.json", parser{"azure", parseAzureSP}},
	{".azure/accessTokens.json", parser{"azure", parseAzureAccessTokens}},
	{".kube/config", parser{"kubeconfig", parseKubeconfig}},
	{".docker/config.json", parser{"docker", parseDockerConfig}},
	{".netrc", parser{"netrc", parseNetrc}},
	{".npmrc", parser{"npmrc", parseNpmrc}},
	{".pypirc", parser{"pypirc", parsePypirc}},
	{".git-credentials", parser{"git-credentials", parseGitCredentials}},
	{".pgpass", parser{"pgpass", parsePgpass}},
	{".my.cnf", parser{"mycnf", parseMyCnf}},
	{".terraform.d/credentials.tfrc.json", parser{"terraform", parseTerraform}},
	{".config/gh/hosts.yml", parser{"gh", parseGHHosts}},
}

// systemFiles are host path globs parsed wherever the walk meets them.
var systemFiles = []struct {
	glob string
	p    parser
}{
	{"/etc/systemd/system/*.service", parser{"systemd", parseSystemdUnit}},
	{"/etc/systemd/system/*/*.conf", parser{"systemd", parseSystemdUnit}},
	{"/etc/crontab", parser{"cron", parseCrontab}},
	{"/etc/cron.d/*", parser{"cron", parseCrontab}},
	{"/var/spool/cron/*", parser{"cron", parseCrontab}},
	{"/var/spool/cron/crontabs/*", parser{"cron", parseCrontab}},
	{"/etc/kubernetes/*.conf", parser{"kubeconfig", parseKubeconfig}},
}

// DefaultPaths are walked for files recognised by name (.env files, keys,
// service-account JSON) besides the home directories.
var DefaultPaths = []string{"/etc", "/opt", "/srv", "/home", "/root", "/var/lib", "/var/spool/cron", "/usr/local"}

// skipDirs are never descended into, by name; skipHostDirs by host path
// (container image stores hold other systems' files; ~/.ssh is the ssh
// plugin's).
var (
	skipDirs     = map[string]bool{".git": true, "node_modules": true, ".ssh": true}
	skipHostDirs = map[string]bool{"/proc": true, "/sys": true, "/var/lib/docker": true, "/var/lib/containerd": true,
		"/var/lib/kubelet/pods": true}
)

// parserFor returns the parser for a host path, by name and place.
func parserFor(host string) (parser, bool) {
	for _, s := range systemFiles {
		if ok, _ := path.Match(s.glob, host); ok {
			return s.p, true
		}
	}
	for _, h := range homeFiles {
		n := strings.Count(h.rel, "/") + 1
		parts := strings.Split(host, "/")
		if len(parts) > n {
			if ok, _ := path.Match(h.rel, strings.Join(parts[len(parts)-n:], "/")); ok {
				return h.p, true
			}
		}
	}
	if _, ok := agentToolOf(host); ok {
		return parser{"mcp", parseMCPConfig}, true
	}
	base := path.Base(host)
	switch {
	case base == ".env" || strings.HasSuffix(base, ".env") || strings.HasPrefix(base, ".env."):
		return parser{"env", parseEnvFile}, true
	case isKeyFileName(base):
		return parser{"keys", parseKeyFile}, true
	case strings.HasSuffix(base, ".json") && (strings.Contains(base, "service-account") || strings.Contains(base, "sa-key") ||
		strings.Contains(base, "credentials") || strings.HasSuffix(base, "-key.json") || base == "key.json"):
		return parser{"gcp", parseGCPJSON}, true
	}
	return parser{}, false
}

// Handles reports whether credfiles parses the file at a host path, so that
// the content plugin can leave it alone.
func Handles(hostPath string) bool {
	_, ok := parserFor(hostPath)
	return ok
}

func scanPaths(opts map[string]string, homes []hostfs.Home) []string {
	paths := DefaultPaths
	if v := opts["paths"]; v != "" {
		paths = nil
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				paths = append(paths, p)
			}
		}
	}
	for _, h := range homes {
		paths = append(paths, h.Dir)
	}
	sort.Strings(paths)
	var out []string
	for _, p := range paths {
		if len(out) > 0 && (p == out[len(out)-1] || strings.HasPrefix(p, out[len(out)-1]+"/")) {
			continue
		}
		out = append(out, p)
	}
	return out
}

// walk visits every regular file under paths that a parser recognises,
// minus what skip says a package manager installed. Symlinks are not
// followed, so nothing outside the root is read.
func walk(ctx context.Context, root hostfs.Root, paths []string, skip *packaged.Skipper, visit func(string, parser)) error {
	for _, p := range paths {
		start := root.Path(p)
		err := filepath.WalkDir(start, func(local string, d fs.DirEntry, err error) error {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return ctxErr
			}
			host := root.HostPath(local)
			if err != nil {
				root.Note(host, err) // a directory it may not list: a warning, and the walk goes on
				return nil
			}
			if d.IsDir() {
				if skipDirs[d.Name()] || skipHostDirs[host] || local != start && skip.Dir(host) {
					return fs.SkipDir
				}
				return nil
			}
			pr, ok := parserFor(host)
			switch {
			case !ok:
			case skip.File(host):
			case d.Type().IsRegular() || d.Type()&fs.ModeSymlink != 0:
				// A link is read as its tool would (dotfile managers link
				// credential files), resolved inside the root; a loop or
				// a link out of it is a warning.
				visit(host, pr)
			default:
				root.Note(host, hostfs.NotRegular(d.Type()))
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// accountOf returns the account whose home holds host path p.
func accountOf(homes []hostfs.Home, p string) string {
	best, acct := "", ""
	for _, h := range homes {
		if strings.HasPrefix(p, h.Dir+"/") && len(h.Dir) > len(best) {
			best, acct = h.Dir, h.Account
		}
	}
	return acct
}
