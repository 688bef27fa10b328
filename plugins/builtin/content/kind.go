package content

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"

	"github.com/nhiradar/nhiradar/plugins/builtin/internal/llmkeys"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// ruleKinds maps gitleaks rule ids (or their prefixes, ending in '-') to
// identity kinds. The first match wins; unlisted rules are api_key when
// their id names a key or token, else generic_secret.
var ruleKinds = []struct {
	prefix string
	kind   event.Kind
}{
	{"aws-access-token", event.KindAWSAccessKey},
	{"aws-", event.KindAWSAccessKey},
	{"github-", event.KindGitHubToken},
	{"gitlab-", event.KindGitLabToken},
	{"gcp-service-account", event.KindGCPServiceAccountKey},
	{"azure-ad-client-secret", event.KindAzureClientSecret},
	{"npm-access-token", event.KindNPMToken},
	{"pypi-upload-token", event.KindPyPIToken},
	{"hashicorp-tf-", event.KindTerraformToken},
	{"kubernetes-secret", event.KindKubernetesToken},
	{"private-key", event.KindPrivateKey},
	{"pkcs12-file", event.KindPrivateKey},
	{"generic-api-key", event.KindGenericSecret},
	{"curl-auth-user", event.KindPassword},
}

// kindOf returns the identity kind for a gitleaks rule id.
func kindOf(ruleID string) event.Kind {
	for _, rk := range ruleKinds {
		if ruleID == rk.prefix || strings.HasSuffix(rk.prefix, "-") && strings.HasPrefix(ruleID, rk.prefix) {
			return rk.kind
		}
	}
	if strings.Contains(ruleID, "key") || strings.Contains(ruleID, "token") || strings.Contains(ruleID, "secret") {
		return event.KindAPIKey
	}
	return event.KindGenericSecret
}

// identity returns the non-secret identifier a rule's match carries, the
// kind, and an expiry: an AWS access key id is an identifier (the secret key
// is elsewhere); a JWT's subject and expiry are read from its claims,
// without verifying it, and a Kubernetes service-account token is named
// system:serviceaccount:ns:name.
//
// An AI provider's key is an llm_api_key named by its provider: by the rule
// (openai-api-key), the name it is assigned to (OPENAI_API_KEY) or its
// prefix (gsk_, which gitleaks only knows as a generic key).
func identity(ruleID, key string, secret []byte) (event.Kind, string, *time.Time) {
	if p, ok := llmkeys.ByRule(ruleID); ok {
		return event.KindLLMAPIKey, p, nil
	}
	if p, ok := llmkeys.Of(key, string(secret)); ok {
		return event.KindLLMAPIKey, p, nil
	}
	kind := kindOf(ruleID)
	switch ruleID {
	case "aws-access-token":
		return kind, string(secret), nil
	case "jwt":
		sub, exp := jwtClaims(string(secret))
		if strings.HasPrefix(sub, "system:serviceaccount:") {
			kind = event.KindKubernetesSAToken
		}
		return kind, sub, exp
	}
	return kind, "", nil
}

// jwtClaims decodes a JWT's subject and expiry; only these leave it.
func jwtClaims(tok string) (string, *time.Time) {
	parts := strings.Split(tok, ".")
	if len(parts) < 2 {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return "", nil
	}
	var c struct {
		Sub string  `json:"sub"`
		Exp float64 `json:"exp"`
	}
	if json.Unmarshal(b, &c) != nil {
		return "", nil
	}
	if c.Exp > 0 {
		t := time.Unix(int64(c.Exp), 0).UTC()
		return c.Sub, &t
	}
	return c.Sub, nil
}
