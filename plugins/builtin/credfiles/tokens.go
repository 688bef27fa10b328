package credfiles

import (
	"encoding/json"
	"errors"
	"sort"

	"go.yaml.in/yaml/v3"

	"github.com/nhiradar/nhiradar/plugins/sdk/decoy"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// parseTerraform reads ~/.terraform.d/credentials.tfrc.json: one API token
// per host (principal: the host).
func parseTerraform(in input) ([]finding, error) {
	var cfg struct {
		Credentials map[string]struct {
			Token string `json:"token"`
		} `json:"credentials"`
	}
	if err := json.Unmarshal(in.content, &cfg); err != nil {
		return nil, errors.New("not a Terraform credentials file")
	}
	var out []finding
	for _, host := range sortedKeys(cfg.Credentials) {
		tok := cfg.Credentials[host].Token
		if tok == "" || decoy.Placeholder(tok) {
			continue
		}
		out = append(out, finding{kind: event.KindTerraformToken, principal: host, fingerprint: in.fp.Of(tok), key: "credentials." + host + ".token"})
	}
	return out, nil
}

// parseGHHosts reads the GitHub CLI's hosts.yml: each host's OAuth token
// (principal user@host). Tokens kept in the system keyring are not in it.
func parseGHHosts(in input) ([]finding, error) {
	var hosts map[string]struct {
		User       string `yaml:"user"`
		OAuthToken string `yaml:"oauth_token"`
		Users      map[string]struct {
			OAuthToken string `yaml:"oauth_token"`
		} `yaml:"users"`
	}
	if err := yaml.Unmarshal(in.content, &hosts); err != nil {
		return nil, errors.New("not a gh hosts file")
	}
	var out []finding
	for _, host := range sortedKeys(hosts) {
		h := hosts[host]
		add := func(user, tok string) {
			if tok != "" && !decoy.Placeholder(tok) {
				out = append(out, finding{kind: event.KindGitHubToken, principal: user + "@" + host, fingerprint: in.fp.Of(tok), key: "oauth_token"})
			}
		}
		add(h.User, h.OAuthToken)
		for _, u := range sortedKeys(h.Users) {
			if u != h.User || h.Users[u].OAuthToken != h.OAuthToken {
				add(u, h.Users[u].OAuthToken)
			}
		}
	}
	return out, nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
