package processes

import (
	"path"
	"strconv"
	"strings"

	"github.com/nhiradar/nhiradar/plugins/builtin/kubernetes"
	"github.com/nhiradar/nhiradar/plugins/builtin/sshkeys"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// credentialSuffixes are the ends of paths of well-known credential files.
var credentialSuffixes = []string{
	"/.aws/credentials", "/.kube/config", "/.docker/config.json", "/.netrc", "/.pgpass", "/.git-credentials",
	"/.my.cnf", "/.npmrc", "/.pypirc", "/.config/gcloud/application_default_credentials.json",
	"/.azure/msal_token_cache.json", "/.azure/accessTokens.json", "/.terraform.d/credentials.tfrc.json",
	"/.config/gh/hosts.yml", "/serviceaccount/token",
}

// CredentialFile reports whether a path names a credential file.
func CredentialFile(p string) bool {
	for _, s := range credentialSuffixes {
		if strings.HasSuffix(p, s) {
			return true
		}
	}
	if agentKeyFile(p) {
		return true
	}
	base := path.Base(p)
	if strings.Contains(p, "/.ssh/") && strings.HasPrefix(base, "id_") && !strings.HasSuffix(base, ".pub") {
		return true
	}
	return strings.Contains(p, "/kubelet/pods/") && base == "token"
}

// openFile reports a credential file a process holds open. Keys and tokens
// are named by their principal and fingerprint, like the plugins that find
// them at rest; other files by their path (with the file as principal),
// which the credential-file findings share as location.
func (r *reporter) openFile(p proc, file string) error {
	if !CredentialFile(file) || (isAgent(p) && agentKeyFile(file)) {
		return nil
	}
	dedup := "open\x00" + file + "\x00" + p.location()
	if r.seen[dedup] {
		return nil
	}
	r.seen[dedup] = true
	now := r.now
	e := &event.Event{
		Type: event.TypeUsageEvidence, Plugin: Name, Evidence: event.EvidenceOpenFile, Principal: "file:" + file,
		Source: "/proc/" + strconv.Itoa(int(p.pid)) + "/fd", UsedAt: &now, Actor: p.user, Account: p.user,
		Location: file, Attrs: p.attrs("fd"),
	}
	if content, err := r.root.ReadFile(file, 64<<10); err == nil {
		if k, ok := sshkeys.ParsePrivateKey(content, nil); ok {
			e.Kind, e.Fingerprint = event.KindSSHPrivateKey, k.Fingerprint(r.fp.Of)
			e.Principal = k.Principal
		} else if c, err := kubernetes.ParseToken(content); err == nil {
			e.Kind, e.Principal = event.KindKubernetesSAToken, c.Principal()
			e.Fingerprint = r.fp.Of(strings.TrimSpace(string(content)))
		}
	}
	return r.emit(e)
}
