package content

import (
	"strings"
	"time"

	"github.com/nhiradar/nhiradar/plugins/builtin/internal/jwtclaims"
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
// is elsewhere); a JWT's subject, issue time (its age) and expiry are read from its claims,
// without verifying it, and a Kubernetes service-account token is named
// system:serviceaccount:ns:name.
//
// An AI provider's key is an llm_api_key named by its provider: by the rule
// (openai-api-key), the name it is assigned to (OPENAI_API_KEY) or its
// prefix (gsk_, which gitleaks only knows as a generic key).
func identity(ruleID, key string, secret []byte) (kind event.Kind, principal string, created, expires *time.Time) {
	if p, ok := llmkeys.ByRule(ruleID); ok {
		return event.KindLLMAPIKey, p, nil, nil
	}
	if p, ok := llmkeys.Of(key, string(secret)); ok {
		return event.KindLLMAPIKey, p, nil, nil
	}
	kind = kindOf(ruleID)
	switch ruleID {
	case "aws-access-token":
		return kind, string(secret), nil, nil
	case "jwt":
		c, _ := jwtclaims.Decode(string(secret))
		if strings.HasPrefix(c.Subject, "system:serviceaccount:") {
			kind = event.KindKubernetesSAToken
		}
		return kind, c.Subject, c.IssuedAt, c.ExpiresAt
	}
	return kind, "", nil, nil
}
