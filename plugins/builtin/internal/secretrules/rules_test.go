package secretrules

import (
	"testing"

	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

func TestClassify(t *testing.T) {
	token := "Zq8Lr3Vt6Wm1Xn4Yp7Kb0Hs5Jd2Fg9Ce"
	cases := []struct {
		name, value string
		kind        event.Kind
	}{
		{"API_TOKEN", token, event.KindGenericSecret},
		{"STRIPE_API_KEY", token, event.KindAPIKey},
		{"DB_PASSWORD", token, event.KindPassword},
		{"MY_ENCRYPTION_KEY", token, event.KindGenericSecret},
		{"GH_TOKEN", "ghp_" + token + "abcd", event.KindGitHubToken},
		{"WHATEVER", "ghp_" + token + "abcd", event.KindGitHubToken},
		{"DATABASE_URL", "postgres://app:" + token + "@db.internal:5432/app", event.KindPassword},
		// Not secrets: names that describe a secret, placeholders, references.
		{"API_TOKEN_FILE", "/run/secrets/api", ""},
		{"AWS_ACCESS_KEY_ID", "AKIA2E4A7F3B244CQWXY", ""},
		{"STRIPE_PUBLISHABLE_KEY", token, ""},
		{"PWD", token, ""},
		{"PASSWORD", "changeme", ""},
		{"API_KEY", "your-api-key", ""},
		{"API_KEY", "<api-key>", ""},
		{"API_KEY", "${API_KEY}", ""},
		{"SECRET", "xxxxxxxxxxxxxxxx", ""},
		{"AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""},
		{"TOKEN", "12345678901234", ""},
		{"DATABASE_URL", "postgres://app@db.internal/app", ""},
		{"HOME", token, ""},
	}
	for _, c := range cases {
		m, ok := Classify(c.name, c.value, nil)
		if ok != (c.kind != "") || m.Kind != c.kind {
			t.Errorf("%s=%.6s…: got %q %v, want %q", c.name, c.value, m.Kind, ok, c.kind)
		}
	}
	m, _ := Classify("AWS_SECRET_ACCESS_KEY", token+"12345678", map[string]string{"AWS_ACCESS_KEY_ID": "AKIA2E4A7F3B244CQWXY"})
	if m.Kind != event.KindAWSAccessKey || m.Principal != "AKIA2E4A7F3B244CQWXY" {
		t.Errorf("AWS secret key: %+v", m)
	}
}

func TestScanArgs(t *testing.T) {
	token := "Zq8Lr3Vt6Wm1Xn4Yp7Kb0Hs5Jd2Fg9Ce"
	args := []string{"/usr/bin/app", "--verbose", "--config", "/etc/app.yaml", "--db-password=" + token,
		"--token", token + "x", "--password=changeme", "API_KEY=" + token + "y", "ghp_" + token + "abcd", "--name", "worker"}
	got := map[string]event.Kind{}
	for _, m := range ScanArgs(args) {
		got[m.Key] = m.Kind
	}
	want := map[string]event.Kind{"--db-password": event.KindPassword, "--token": event.KindGenericSecret,
		"API_KEY": event.KindAPIKey, "argv[9]": event.KindGitHubToken}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: got %q, want %q", k, got[k], v)
		}
	}
}

func TestRedact(t *testing.T) {
	token := "Zq8Lr3Vt6Wm1Xn4Yp7Kb0Hs5Jd2Fg9Ce"
	cases := map[string]string{
		"/usr/bin/psql postgres://app:" + token + "@db/app":  "/usr/bin/psql postgres://app:[redacted]@db/app",
		"/usr/bin/mysql -uroot -p" + token + " shop":         "/usr/bin/mysql -uroot -p[redacted] shop",
		"/opt/app/bin/run --api-token " + token + " --debug": "/opt/app/bin/run --api-token [redacted] --debug",
		"/usr/bin/systemctl restart app.service":             "/usr/bin/systemctl restart app.service",
		"/usr/bin/env API_KEY=" + token + " ./run":           "/usr/bin/env API_KEY=[redacted] ./run",
	}
	for in, want := range cases {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%.20q…) = %q, want %q", in, got, want)
		}
	}
}

// TestClassifyLLMKeys: a process's provider keys are llm_api_key named by
// the provider, by variable name or by the provider's prefix alone; Azure's
// by the endpoint beside it.
func TestClassifyLLMKeys(t *testing.T) {
	env := map[string]string{"AZURE_OPENAI_ENDPOINT": "https://acme-ai.openai.azure.com/"}
	for _, c := range []struct{ name, value, principal string }{
		{"OPENAI_API_KEY", "sk-proj-NHIRADARqq7Lw2Xe9Rb4Tn6Vm1Kc8Pz3Hd5Jf0Gs7Ua2Yo", "openai"},
		{"X", "sk-ant-api03-NHIRADARzR7nP2vL9qT4wX6bK1mC8sD3fG5hJ0eA7uY2iO4pW", "anthropic"},
		{"--hf-token", "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", "huggingface"},
		{"AZURE_OPENAI_API_KEY", "4e8f1c2a9b7d3e5f6a0b1c2d3e4f5a6b", "acme-ai.openai.azure.com"},
		{"DEEPSEEK_API_KEY", "sk-NHIRADARq7Lw2Xe9Rb4Tn6Vm1Kc8Pz3Hd5Jf", "deepseek"},
	} {
		m, ok := Classify(c.name, c.value, env)
		if !ok || m.Kind != event.KindLLMAPIKey || m.Principal != c.principal || m.Provider == "" {
			t.Errorf("%s: got %+v %v, want llm_api_key of %s", c.name, m, ok, c.principal)
		}
	}
	for _, c := range []struct{ name, value string }{{"OPENAI_API_KEY", "sk-..."}, {"GROQ_API_KEY", "your-groq-key"}, {"OPENAI_BASE_URL", "https://api.openai.com/v1"}} {
		if m, ok := Classify(c.name, c.value, env); ok {
			t.Errorf("%s=%s: a placeholder or setting reported as %s", c.name, c.value, m.Kind)
		}
	}
}
