package kubernetes

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// Claims are the service-account claims of a Kubernetes token, decoded
// without verifying the signature: the plugin reports a token, it does not
// trust it.
type Claims struct {
	Issuer    string
	Subject   string
	Audience  []string
	Namespace string
	Account   string
	Pod       string
	PodUID    string
	Node      string
	// Legacy is true for a token of a service-account Secret (no expiry).
	Legacy    bool
	IssuedAt  time.Time
	ExpiresAt time.Time
}

// Principal is the token's identity, "system:serviceaccount:NS:NAME".
func (c Claims) Principal() string {
	return "system:serviceaccount:" + c.Namespace + ":" + c.Account
}

var errNotServiceAccount = errors.New("not a Kubernetes service-account token")

type rawClaims struct {
	Iss  string          `json:"iss"`
	Sub  string          `json:"sub"`
	Aud  json.RawMessage `json:"aud"`
	Exp  json.Number     `json:"exp"`
	Iat  json.Number     `json:"iat"`
	Kube *struct {
		Namespace      string `json:"namespace"`
		ServiceAccount struct {
			Name string `json:"name"`
		} `json:"serviceaccount"`
		Pod struct {
			Name string `json:"name"`
			UID  string `json:"uid"`
		} `json:"pod"`
		Node struct {
			Name string `json:"name"`
		} `json:"node"`
	} `json:"kubernetes.io"`
	LegacyNamespace string `json:"kubernetes.io/serviceaccount/namespace"`
	LegacyName      string `json:"kubernetes.io/serviceaccount/service-account.name"`
}

// ParseToken decodes the claims of a service-account JWT. It fails for
// anything else (placeholders, other JWTs), and its errors never quote the
// token.
func ParseToken(token []byte) (Claims, error) {
	parts := bytes.Split(bytes.TrimSpace(token), []byte("."))
	if len(parts) != 3 || len(parts[2]) == 0 {
		return Claims{}, errNotServiceAccount
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(string(parts[1]), "="))
	if err != nil {
		return Claims{}, errNotServiceAccount
	}
	var raw rawClaims
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return Claims{}, errNotServiceAccount
	}
	c := Claims{Issuer: raw.Iss, Subject: raw.Sub, Audience: audience(raw.Aud), IssuedAt: unix(raw.Iat), ExpiresAt: unix(raw.Exp)}
	switch {
	case raw.Kube != nil:
		c.Namespace, c.Account = raw.Kube.Namespace, raw.Kube.ServiceAccount.Name
		c.Pod, c.PodUID, c.Node = raw.Kube.Pod.Name, raw.Kube.Pod.UID, raw.Kube.Node.Name
	case raw.LegacyName != "":
		c.Namespace, c.Account, c.Legacy = raw.LegacyNamespace, raw.LegacyName, true
	default:
		ns, name, ok := strings.Cut(strings.TrimPrefix(raw.Sub, "system:serviceaccount:"), ":")
		if !ok || !strings.HasPrefix(raw.Sub, "system:serviceaccount:") {
			return Claims{}, errNotServiceAccount
		}
		c.Namespace, c.Account = ns, name
	}
	if c.Namespace == "" || c.Account == "" {
		return Claims{}, errNotServiceAccount
	}
	return c, nil
}

func audience(b json.RawMessage) []string {
	var one string
	if json.Unmarshal(b, &one) == nil && one != "" {
		return []string{one}
	}
	var many []string
	_ = json.Unmarshal(b, &many)
	return many
}

func unix(n json.Number) time.Time {
	if v, err := n.Int64(); err == nil && v > 0 {
		return time.Unix(v, 0).UTC()
	}
	if f, err := n.Float64(); err == nil && f > 0 {
		return time.Unix(int64(f), 0).UTC()
	}
	return time.Time{}
}
