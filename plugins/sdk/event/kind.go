package event

import (
	"crypto/sha256"
	"encoding/hex"
)

// Kind names what sort of identity an event is about. The list is closed:
// a plugin that finds something new adds a kind here first, so that analysts
// and detectors see one vocabulary.
type Kind string

// The identity kinds.
const (
	KindAWSAccessKey         Kind = "aws_access_key"
	KindAWSSessionToken      Kind = "aws_session_token"
	KindGCPServiceAccountKey Kind = "gcp_service_account_key"
	KindGCPUserCredentials   Kind = "gcp_authorized_user"
	KindAzureClientSecret    Kind = "azure_client_secret"
	KindAzureAccessToken     Kind = "azure_access_token"
	KindKubernetesToken      Kind = "kubernetes_token"
	KindKubernetesClientCert Kind = "kubernetes_client_certificate"
	KindKubernetesExec       Kind = "kubernetes_exec_credential"
	KindKubernetesSAToken    Kind = "kubernetes_service_account_token"
	KindDockerRegistryAuth   Kind = "docker_registry_auth"
	KindNetrcPassword        Kind = "netrc_password"
	KindNPMToken             Kind = "npm_token"
	KindPyPIToken            Kind = "pypi_token"
	KindGitCredential        Kind = "git_credential"
	KindPostgresPassword     Kind = "postgres_password"
	KindMySQLPassword        Kind = "mysql_password"
	KindTerraformToken       Kind = "terraform_token"
	KindGitHubToken          Kind = "github_token"
	KindAPIKey               Kind = "api_key"
	KindPassword             Kind = "password"
	KindPrivateKey           Kind = "private_key"
	KindSSHPrivateKey        Kind = "ssh_private_key"
	KindSSHAuthorizedKey     Kind = "ssh_authorized_key"
	KindOSServiceAccount     Kind = "os_service_account"
	KindGenericSecret        Kind = "generic_secret"
	KindGitLabToken          Kind = "gitlab_token"
	// KindLLMAPIKey is an AI model provider's API key; its principal is
	// the provider (openai, anthropic, …) or, for Azure OpenAI, the
	// resource's endpoint host.
	KindLLMAPIKey Kind = "llm_api_key"
	// KindMCPServerCredential is a secret an agent tool's MCP configuration
	// hands one MCP server (an env value or a request header); its
	// principal is the server's name in that configuration.
	KindMCPServerCredential Kind = "mcp_server_credential"
)

// Kinds lists every valid kind.
var Kinds = []Kind{
	KindAWSAccessKey, KindAWSSessionToken, KindGCPServiceAccountKey, KindGCPUserCredentials,
	KindAzureClientSecret, KindAzureAccessToken, KindKubernetesToken, KindKubernetesClientCert,
	KindKubernetesExec, KindKubernetesSAToken, KindDockerRegistryAuth, KindNetrcPassword,
	KindNPMToken, KindPyPIToken, KindGitCredential, KindPostgresPassword, KindMySQLPassword,
	KindTerraformToken, KindGitHubToken, KindAPIKey, KindPassword, KindPrivateKey,
	KindSSHPrivateKey, KindSSHAuthorizedKey, KindOSServiceAccount, KindGenericSecret,
	KindGitLabToken, KindLLMAPIKey, KindMCPServerCredential,
}

// Evidence names how a usage_evidence event proves use.
type Evidence string

// The evidence types.
const (
	EvidenceSSHLogin   Evidence = "ssh_login"
	EvidenceSudo       Evidence = "sudo"
	EvidenceSu         Evidence = "su"
	EvidenceProcess    Evidence = "process"
	EvidenceOpenFile   Evidence = "open_file"
	EvidenceFileAccess Evidence = "file_access"
	// EvidenceLogin is a login session from the login records (wtmp, lastlog).
	EvidenceLogin Evidence = "login"
)

// Evidences lists every valid evidence type.
var Evidences = []Evidence{EvidenceSSHLogin, EvidenceSudo, EvidenceSu, EvidenceProcess, EvidenceOpenFile, EvidenceFileAccess, EvidenceLogin}

// hostScoped kinds are identities that exist only on one host (an OS account
// named "backup" on two hosts is two identities); the others are global.
var hostScoped = map[Kind]bool{KindOSServiceAccount: true}

// IdentityKey returns the stable key of the identity an event is about: the
// same secret anywhere in the fleet gives the same key, so one identity found
// in two places is one row with two locations. It is derived from the
// fingerprint where there is a secret, else from kind and principal.
func IdentityKey(kind Kind, principal, fingerprint, host string) string {
	var s string
	switch {
	case fingerprint != "":
		s = "fp\x00" + fingerprint
	case hostScoped[kind]:
		s = "hp\x00" + string(kind) + "\x00" + host + "\x00" + principal
	default:
		s = "p\x00" + string(kind) + "\x00" + principal
	}
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:16])
}

func validKind(k Kind) bool {
	for _, v := range Kinds {
		if v == k {
			return true
		}
	}
	return false
}

func validEvidence(e Evidence) bool {
	for _, v := range Evidences {
		if v == e {
			return true
		}
	}
	return false
}
