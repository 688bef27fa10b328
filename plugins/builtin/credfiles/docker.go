package credfiles

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"sort"
	"strings"

	"github.com/nhiradar/nhiradar/plugins/sdk/decoy"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// parseDockerConfig reads ~/.docker/config.json: each registry's auth
// (base64 user:password; principal user@registry) or identity token.
// Registries delegated to a credential helper hold no secret in the file.
func parseDockerConfig(in input) ([]finding, error) {
	var cfg struct {
		Auths map[string]struct {
			Auth          string `json:"auth"`
			IdentityToken string `json:"identitytoken"`
		} `json:"auths"`
	}
	if err := json.Unmarshal(in.content, &cfg); err != nil {
		return nil, errors.New("not a Docker config.json")
	}
	registries := make([]string, 0, len(cfg.Auths))
	for r := range cfg.Auths {
		registries = append(registries, r)
	}
	sort.Strings(registries)
	var out []finding
	for _, reg := range registries {
		a := cfg.Auths[reg]
		host := registryHost(reg)
		if a.Auth != "" {
			raw, err := base64.StdEncoding.DecodeString(a.Auth)
			if err != nil {
				return nil, errors.New("an auth entry is not base64")
			}
			user, pass, ok := strings.Cut(string(raw), ":")
			if !ok || pass == "" || decoy.Placeholder(pass) {
				continue
			}
			out = append(out, finding{kind: event.KindDockerRegistryAuth, principal: user + "@" + host,
				fingerprint: in.fp.Of(pass), key: "auths." + reg + ".auth", attrs: map[string]string{"registry": host}})
		}
		if a.IdentityToken != "" && !decoy.Placeholder(a.IdentityToken) {
			out = append(out, finding{kind: event.KindDockerRegistryAuth, principal: host,
				fingerprint: in.fp.Of(a.IdentityToken), key: "auths." + reg + ".identitytoken", attrs: map[string]string{"registry": host}})
		}
	}
	return out, nil
}

// registryHost strips the scheme and path from a registry key.
func registryHost(r string) string {
	r = strings.TrimPrefix(strings.TrimPrefix(r, "https://"), "http://")
	if i := strings.IndexByte(r, '/'); i >= 0 {
		r = r[:i]
	}
	return r
}
