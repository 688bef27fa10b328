package credfiles

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/nhiradar/nhiradar/plugins/sdk/decoy"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// gcpKey is the part of a GCP credentials JSON file the parser reads:
// service-account keys and application default (authorized_user) credentials.
type gcpKey struct {
	Type           string `json:"type"`
	ProjectID      string `json:"project_id"`
	PrivateKeyID   string `json:"private_key_id"`
	PrivateKey     string `json:"private_key"`
	ClientEmail    string `json:"client_email"`
	ClientID       string `json:"client_id"`
	ClientSecret   string `json:"client_secret"`
	RefreshToken   string `json:"refresh_token"`
	QuotaProjectID string `json:"quota_project_id"`
	Account        string `json:"account"`
}

// parseGCPJSON reads a service-account key (principal: client e-mail, key id
// in attrs, fingerprint of the private key) or authorized_user credentials
// (principal: the account where recorded, else the OAuth client id;
// fingerprint of the refresh token). Other JSON files give nothing.
func parseGCPJSON(in input) ([]finding, error) {
	var k gcpKey
	if err := json.Unmarshal(in.content, &k); err != nil {
		if strings.Contains(in.path, "gcloud") {
			return nil, errors.New("not a JSON credentials file")
		}
		return nil, nil // a *.json file named like a key that is not one
	}
	switch k.Type {
	case "service_account":
		if k.PrivateKey == "" || k.ClientEmail == "" || decoy.Value(k.PrivateKeyID) || strings.Contains(k.ClientEmail, "example") {
			return nil, nil
		}
		return []finding{{
			kind: event.KindGCPServiceAccountKey, principal: k.ClientEmail, fingerprint: in.fp.Of(k.PrivateKey),
			key: "private_key", hints: []string{"gcp_project:" + k.ProjectID},
			attrs: map[string]string{"private_key_id": k.PrivateKeyID, "project_id": k.ProjectID, "client_id": k.ClientID},
		}}, nil
	case "authorized_user":
		if k.RefreshToken == "" || decoy.Placeholder(k.RefreshToken) {
			return nil, nil
		}
		principal := k.Account
		if principal == "" {
			principal = k.ClientID
		}
		attrs := map[string]string{"client_id": k.ClientID}
		if k.QuotaProjectID != "" {
			attrs["quota_project_id"] = k.QuotaProjectID
		}
		return []finding{{kind: event.KindGCPUserCredentials, principal: principal,
			fingerprint: in.fp.Of(k.RefreshToken), key: "refresh_token", attrs: attrs}}, nil
	}
	return nil, nil
}
