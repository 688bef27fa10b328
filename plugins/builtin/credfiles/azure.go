package credfiles

import (
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/nhiradar/nhiradar/plugins/sdk/decoy"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// msalEntry is one credential in the Azure CLI's MSAL token cache.
type msalEntry struct {
	HomeAccountID  string `json:"home_account_id"`
	CredentialType string `json:"credential_type"`
	Secret         string `json:"secret"`
	ClientID       string `json:"client_id"`
	Realm          string `json:"realm"`
	ExpiresOn      string `json:"expires_on"`
	Username       string `json:"username"`
}

// parseAzureMSAL reads ~/.azure/msal_token_cache.json: refresh and access
// tokens, whose principal is the signed-in account's user name.
func parseAzureMSAL(in input) ([]finding, error) {
	var cache map[string]map[string]msalEntry
	if err := json.Unmarshal(in.content, &cache); err != nil {
		return nil, errors.New("not an MSAL token cache")
	}
	users := map[string]string{}
	for _, a := range cache["Account"] {
		users[a.HomeAccountID] = a.Username
	}
	var out []finding
	for _, section := range []string{"RefreshToken", "AccessToken"} {
		for _, e := range cache[section] {
			if e.Secret == "" || decoy.Placeholder(e.Secret) {
				continue
			}
			principal := users[e.HomeAccountID]
			if principal == "" {
				principal = e.HomeAccountID
			}
			f := finding{kind: event.KindAzureAccessToken, principal: principal, fingerprint: in.fp.Of(e.Secret),
				key: section, attrs: map[string]string{"credential_type": e.CredentialType, "client_id": e.ClientID, "tenant": e.Realm}}
			if sec, err := strconv.ParseInt(e.ExpiresOn, 10, 64); err == nil {
				t := time.Unix(sec, 0).UTC()
				f.expires = &t
			}
			out = append(out, f)
		}
	}
	return out, nil
}

// parseAzureSP reads ~/.azure/service_principal_entries.json: service
// principal secrets the CLI logged in with (principal: the application id).
func parseAzureSP(in input) ([]finding, error) {
	var entries []struct {
		ClientID     string `json:"client_id"`
		Tenant       string `json:"tenant"`
		ClientSecret string `json:"client_secret"`
	}
	if err := json.Unmarshal(in.content, &entries); err != nil {
		return nil, errors.New("not a service principal list")
	}
	var out []finding
	for _, e := range entries {
		if e.ClientSecret == "" || decoy.Placeholder(e.ClientSecret) {
			continue
		}
		out = append(out, finding{kind: event.KindAzureClientSecret, principal: e.ClientID, fingerprint: in.fp.Of(e.ClientSecret),
			key: "client_secret", attrs: map[string]string{"tenant": e.Tenant}})
	}
	return out, nil
}

// parseAzureAccessTokens reads the older ~/.azure/accessTokens.json.
func parseAzureAccessTokens(in input) ([]finding, error) {
	var entries []struct {
		UserID           string `json:"userId"`
		ServicePrincipal string `json:"servicePrincipalId"`
		Tenant           string `json:"servicePrincipalTenant"`
		AccessToken      string `json:"accessToken"`
		RefreshToken     string `json:"refreshToken"`
		ExpiresOn        string `json:"expiresOn"`
	}
	if err := json.Unmarshal(in.content, &entries); err != nil {
		return nil, errors.New("not an Azure access token list")
	}
	var out []finding
	for _, e := range entries {
		principal, kind := e.UserID, event.KindAzureAccessToken
		if e.ServicePrincipal != "" {
			principal, kind = e.ServicePrincipal, event.KindAzureClientSecret
		}
		for _, kv := range [][2]string{{"refreshToken", e.RefreshToken}, {"accessToken", e.AccessToken}} {
			key, s := kv[0], kv[1]
			if s == "" || decoy.Placeholder(s) {
				continue
			}
			f := finding{kind: kind, principal: principal, fingerprint: in.fp.Of(s), key: key, attrs: map[string]string{"tenant": e.Tenant}}
			if t, err := time.Parse("2006-01-02 15:04:05.999999", e.ExpiresOn); err == nil && key == "accessToken" {
				f.expires = &t
			}
			out = append(out, f)
		}
	}
	return out, nil
}
