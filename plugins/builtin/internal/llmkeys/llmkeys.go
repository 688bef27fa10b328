// Package llmkeys names the AI model provider an API key serves: by the
// variable the key is stored under (OPENAI_API_KEY, HF_TOKEN) or by the
// prefix the provider puts on its keys (sk-ant-, hf_, gsk_). Secret scanners
// see a key; only the provider says whose bill and whose data it opens.
// credfiles, the content plugin and the processes plugin all ask it, so a
// key has one provider whichever plugin finds it.
package llmkeys

import (
	"net/url"
	"regexp"
	"strings"
)

// The provider names reported as principal (and attrs.provider).
const (
	OpenAI      = "openai"
	Anthropic   = "anthropic"
	HuggingFace = "huggingface"
	GoogleAI    = "google_ai"
	AzureOpenAI = "azure_openai"
	Mistral     = "mistral"
	Cohere      = "cohere"
	Groq        = "groq"
	XAI         = "xai"
	DeepSeek    = "deepseek"
	Perplexity  = "perplexity"
	OpenRouter  = "openrouter"
	Together    = "together"
	Fireworks   = "fireworks"
	Replicate   = "replicate"
)

// names maps variable names (upper case, '-' as '_') to providers. They are
// the names the providers' SDKs and the agent frameworks read.
var names = map[string]string{
	"OPENAI_API_KEY": OpenAI, "OPENAI_KEY": OpenAI, "OPENAI_ADMIN_KEY": OpenAI,
	"ANTHROPIC_API_KEY": Anthropic, "ANTHROPIC_AUTH_TOKEN": Anthropic, "CLAUDE_API_KEY": Anthropic,
	"HF_TOKEN": HuggingFace, "HUGGING_FACE_HUB_TOKEN": HuggingFace, "HUGGINGFACEHUB_API_TOKEN": HuggingFace,
	"HF_API_TOKEN": HuggingFace, "HF_API_KEY": HuggingFace, "HUGGINGFACE_TOKEN": HuggingFace, "HUGGINGFACE_API_KEY": HuggingFace,
	"GOOGLE_API_KEY": GoogleAI, "GEMINI_API_KEY": GoogleAI, "GOOGLE_GENERATIVE_AI_API_KEY": GoogleAI, "GOOGLE_AI_API_KEY": GoogleAI,
	"AZURE_OPENAI_API_KEY": AzureOpenAI, "AZURE_OPENAI_KEY": AzureOpenAI, "AZURE_API_KEY": AzureOpenAI,
	"MISTRAL_API_KEY": Mistral, "COHERE_API_KEY": Cohere, "CO_API_KEY": Cohere, "GROQ_API_KEY": Groq,
	"XAI_API_KEY": XAI, "GROK_API_KEY": XAI, "DEEPSEEK_API_KEY": DeepSeek, "PERPLEXITY_API_KEY": Perplexity,
	"PPLX_API_KEY": Perplexity, "OPENROUTER_API_KEY": OpenRouter, "TOGETHER_API_KEY": Together,
	"TOGETHERAI_API_KEY": Together, "FIREWORKS_API_KEY": Fireworks, "REPLICATE_API_TOKEN": Replicate,
	"REPLICATE_API_KEY": Replicate,
}

// prefixes are the providers' key formats, most specific first: sk-ant-
// and sk-or- before OpenAI's sk-. Google's AIza keys are not here: the same
// format serves Maps and every other Google API, so only a Gemini variable
// name makes one an AI key.
var prefixes = []struct {
	re       *regexp.Regexp
	provider string
}{
	{regexp.MustCompile(`^sk-ant-(api|admin|oat)[0-9]{2}-[A-Za-z0-9_-]{40,}$`), Anthropic},
	{regexp.MustCompile(`^sk-or-v1-[a-f0-9]{64}$`), OpenRouter},
	{regexp.MustCompile(`^sk-(proj|svcacct|admin)-[A-Za-z0-9_-]{40,}$|^sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}$`), OpenAI},
	{regexp.MustCompile(`^hf_[A-Za-z]{34}$|^api_org_[A-Za-z]{34}$`), HuggingFace},
	{regexp.MustCompile(`^gsk_[A-Za-z0-9]{48,56}$`), Groq},
	{regexp.MustCompile(`^xai-[A-Za-z0-9]{70,90}$`), XAI},
	{regexp.MustCompile(`^pplx-[A-Za-z0-9]{48}$`), Perplexity},
	{regexp.MustCompile(`^r8_[A-Za-z0-9]{37}$`), Replicate},
	{regexp.MustCompile(`^fw_[A-Za-z0-9]{24,}$`), Fireworks},
}

// legacyOpenAI is OpenAI's older key shape, and DeepSeek's: sk- and 32 or
// more letters and digits. It names OpenAI only when no name says otherwise.
var legacyOpenAI = regexp.MustCompile(`^sk-[A-Za-z0-9]{32,}$`)

// ByName returns the provider a variable or field name stands for.
func ByName(name string) (string, bool) {
	p, ok := names[strings.ToUpper(strings.ReplaceAll(name, "-", "_"))]
	return p, ok
}

// ByValue returns the provider whose key format the value has.
func ByValue(v string) (string, bool) {
	for _, p := range prefixes {
		if p.re.MatchString(v) {
			return p.provider, true
		}
	}
	if legacyOpenAI.MatchString(v) {
		return OpenAI, true
	}
	return "", false
}

// Of returns the provider of a key stored under name: the name decides
// (DEEPSEEK_API_KEY=sk-… is DeepSeek's), else the value's format.
func Of(name, value string) (string, bool) {
	if p, ok := ByName(name); ok {
		return p, true
	}
	return ByValue(value)
}

// providerAliases maps the provider names agent tools use in their model
// settings (Continue's `provider`, LiteLLM-style prefixes) to ours.
var providerAliases = map[string]string{
	"openai": OpenAI, "anthropic": Anthropic, "huggingface": HuggingFace, "huggingface-inference-api": HuggingFace,
	"huggingface-tgi": HuggingFace, "gemini": GoogleAI, "google": GoogleAI, "google-ai": GoogleAI, "vertexai": GoogleAI,
	"azure": AzureOpenAI, "azure-openai": AzureOpenAI, "azureopenai": AzureOpenAI, "mistral": Mistral, "cohere": Cohere,
	"groq": Groq, "xai": XAI, "deepseek": DeepSeek, "perplexity": Perplexity, "openrouter": OpenRouter,
	"together": Together, "fireworks": Fireworks, "replicate": Replicate,
}

// Named returns our name for a provider as a tool's configuration names it;
// an unknown one is kept, lower-cased, so that it is still reported.
func Named(toolName string) string {
	l := strings.ToLower(strings.TrimSpace(toolName))
	if p, ok := providerAliases[l]; ok {
		return p
	}
	return l
}

// Principal is what a provider's key is reported under: the provider, or
// for Azure OpenAI the resource's endpoint host (one key per resource).
func Principal(provider, endpoint string) string {
	if provider == AzureOpenAI {
		if h := Host(endpoint); h != "" {
			return h
		}
	}
	return provider
}

// Host returns the host of an endpoint URL, or "" when it has none.
func Host(endpoint string) string {
	u, err := url.Parse(strings.TrimSpace(endpoint))
	if err != nil || u.Host == "" {
		return ""
	}
	return u.Hostname()
}

// ruleProviders maps gitleaks rule ids to providers.
var ruleProviders = map[string]string{
	"openai-api-key": OpenAI, "anthropic-api-key": Anthropic, "anthropic-admin-api-key": Anthropic,
	"huggingface-access-token": HuggingFace, "huggingface-organization-api-token": HuggingFace,
	"cohere-api-token": Cohere, "perplexity-api-key": Perplexity,
}

// ByRule returns the provider of a gitleaks rule's match.
func ByRule(ruleID string) (string, bool) {
	p, ok := ruleProviders[ruleID]
	return p, ok
}
