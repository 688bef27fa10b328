package content

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// TestLLMKeys: an AI provider's key found in free text is an llm_api_key
// named by its provider, whether gitleaks knows the format (Anthropic), only
// the assignment (a generic key under OPENAI_API_KEY) or neither (Groq's
// prefix, matched as a generic secret).
func TestLLMKeys(t *testing.T) {
	anthropic := "sk-ant-api03-NHIRADAR" + strings.Repeat("q7Lw2Xe9Rb4Tn6Vm1Kc8Pz3Hd5Jf0Gs7Ua2", 3)[:85] + "AA"
	root := t.TempDir()
	body := "ANTHROPIC = '" + anthropic + "'\n" +
		"openai_api_key = \"Zq8Lr3Vt6Wm1Xn4Yp7Kb0Hs5Jd2Fg9Ce\"\n" +
		"api_key = \"gsk_NHIRADARwq7Lx2Ve9Rb4Tn6Ym1Kc8Pz3Hd5Jf0Gs7Ua2Yo4Ri6\"\n"
	dir := filepath.Join(root, "srv", "bot")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "settings.py"), []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	providers := map[string]bool{}
	for _, e := range scan(t, root, nil) {
		if e.Type != event.TypeNHIObserved {
			continue
		}
		if e.Kind != event.KindLLMAPIKey || e.Attrs["provider"] != e.Principal {
			t.Errorf("%s (rule %s): kind %s principal %q, want llm_api_key named by its provider", e.Key, e.Attrs["rule"], e.Kind, e.Principal)
		}
		providers[e.Principal] = true
	}
	for _, p := range []string{"anthropic", "openai", "groq"} {
		if !providers[p] {
			t.Errorf("%s key not reported (got %v)", p, providers)
		}
	}
}
