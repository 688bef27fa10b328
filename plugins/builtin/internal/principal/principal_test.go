package principal

import "testing"

func TestFind(t *testing.T) {
	fields := map[string]string{
		"AZURE_CLIENT_ID": "0e6b2f4a-3c1d-4b5e-8f7a-9c0d1e2f3a4b", "CLIENT_ID": "app-42",
		"AWS_ACCESS_KEY_ID": "AKIA2E4A7F3B244CQWXY", "USERNAME": "svc-billing", "DB_USER": "app",
		"STORAGE_KEY_ID": "key-7", "SPRING_DATASOURCE_USERNAME": "spring", "MAIL_USER": "${MAIL_USER}", "ID": "17", "APP_ID": "app-9",
	}
	for key, want := range map[string]string{
		"AZURE_CLIENT_SECRET":        "0e6b2f4a-3c1d-4b5e-8f7a-9c0d1e2f3a4b",
		"client_secret":              "app-42",
		"aws_secret_access_key":      "AKIA2E4A7F3B244CQWXY",
		"password":                   "svc-billing",
		"DB_PASSWORD":                "app",
		"STORAGE_SECRET":             "key-7",
		"spring.datasource.password": "spring",
		"MAIL_PASSWORD":              "",
		"GITHUB_TOKEN":               "",
		"OTHER_SECRET":               "",
		"secret":                     "app-42",
		"APP_SECRET":                 "app-9",
	} {
		if got := Find(key, fields); got != want {
			t.Errorf("Find(%q) = %q, want %q", key, got, want)
		}
	}
	if got := Find("secret", map[string]string{"ID": "17"}); got != "" {
		t.Errorf("a bare id was taken for a bare secret's principal: %q", got)
	}
}
