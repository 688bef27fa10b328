package llmkeys

import "testing"

func TestOf(t *testing.T) {
	for _, c := range []struct{ name, value, want string }{
		{"OPENAI_API_KEY", "anything-at-all", OpenAI},
		{"hugging-face-hub-token", "x", HuggingFace},
		{"", "sk-ant-admin01-NHIRADARzR7nP2vL9qT4wX6bK1mC8sD3fG5hJ0eA7uY2iO4pW", Anthropic},
		{"", "sk-proj-NHIRADARqq7Lw2Xe9Rb4Tn6Vm1Kc8Pz3Hd5Jf0Gs7Ua2Yo", OpenAI},
		{"", "sk-NHIRADARq7Lw2Xe9Rb4Tn6Vm1Kc8Pz3Hd5Jf", OpenAI},
		{"DEEPSEEK_API_KEY", "sk-NHIRADARq7Lw2Xe9Rb4Tn6Vm1Kc8Pz3Hd5Jf", DeepSeek},
		{"", "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", HuggingFace},
		{"", "gsk_NHIRADARwq7Lx2Ve9Rb4Tn6Ym1Kc8Pz3Hd5Jf0Gs7Ua2Yo4Ri6", Groq},
		{"", "r8_NHIRADARq7Lw2Xe9Rb4Tn6Vm1Kc8Pz3Hd5Jf0", Replicate},
		{"", "sk-or-v1-" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", OpenRouter},
		// Not a provider's: a Google key by format alone (Maps uses it
		// too), a Stripe key, a short sk-.
		{"", "AIzaSyNHIRADAR7Lw2Xe9Rb4Tn6Vm1Kc8Pz3Hd5J", ""},
		{"MAPS_API_KEY", "AIzaSyNHIRADAR7Lw2Xe9Rb4Tn6Vm1Kc8Pz3Hd5J", ""},
		{"", "sk_live_NHIRADARq7Lw2Xe9Rb4Tn6Vm1Kc8", ""},
		{"", "sk-short", ""},
	} {
		got, ok := Of(c.name, c.value)
		if got != c.want || ok != (c.want != "") {
			t.Errorf("Of(%q, %.12s…) = %q %v, want %q", c.name, c.value, got, ok, c.want)
		}
	}
}

func TestPrincipal(t *testing.T) {
	if got := Principal(AzureOpenAI, "https://acme-ai.openai.azure.com/openai"); got != "acme-ai.openai.azure.com" {
		t.Errorf("Azure principal %q", got)
	}
	if got := Principal(AzureOpenAI, ""); got != AzureOpenAI {
		t.Errorf("Azure without endpoint %q", got)
	}
	if got := Principal(OpenAI, "https://proxy.acme-corp.com"); got != OpenAI {
		t.Errorf("OpenAI principal %q", got)
	}
	if Named("Azure") != AzureOpenAI || Named("gemini") != GoogleAI || Named("LMStudio") != "lmstudio" {
		t.Error("tool provider names are not mapped")
	}
}
