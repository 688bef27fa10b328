package credfiles

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/nhiradar/nhiradar/plugins/sdk"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// Fixture keys: the providers' formats with NHIRADAR spelled in them, so
// that no one mistakes them for live keys.
const (
	fixOpenAI    = "sk-proj-NHIRADARqq7Lw2Xe9Rb4Tn6Vm1Kc8Pz3Hd5Jf0Gs7Ua2Yo"
	fixAnthropic = "sk-ant-api03-NHIRADARzR7nP2vL9qT4wX6bK1mC8sD3fG5hJ0eA7uY2iO4pW"
	fixHF        = "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"
	fixGroq      = "gsk_NHIRADARwq7Lx2Ve9Rb4Tn6Ym1Kc8Pz3Hd5Jf0Gs7Ua2Yo4Ri6"
	fixGitHub    = "ghp_NHIRADARq7Lw2Xe9Rb4Tn6Vm1Kc8Pz3Hd5Jf"
	fixBearer    = "mcpbearer-NHIRADAR-7Lw2Xe9Rb4Tn6Vm1"
	fixMistral   = "NHIRADARmistralq7Lw2Xe9Rb4Tn6Vm1"
	fixAzure     = "4e8f1c2a9b7d3e5f6a0b1c2d3e4f5a6b"
)

func scanMCP(t *testing.T, files map[string]string) ([]*event.Event, []*event.Event) {
	t.Helper()
	root := plant(t, files)
	var found, warnings []*event.Event
	err := Plugin{}.Scan(context.Background(), sdk.ScanRequest{Root: root, Full: true, FingerprintKey: testKey},
		func(e *event.Event) error {
			if e.Type == event.TypeScanWarning {
				warnings = append(warnings, e)
			} else {
				found = append(found, e)
			}
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	return found, warnings
}

// TestMCPConfigs: each tool's file gives one mcp_server_credential per
// credential in a server's env, headers, arguments or URL, with the server
// as principal and the tool as owner hint; references and non-secret
// settings are not reported.
func TestMCPConfigs(t *testing.T) {
	found, warnings := scanMCP(t, map[string]string{
		"/home/alice/.config/Claude/claude_desktop_config.json": `{"mcpServers": {
			"github": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-github"],
				"env": {"GITHUB_PERSONAL_ACCESS_TOKEN": "` + fixGitHub + `", "LOG_LEVEL": "debug"}},
			"postgres": {"command": "/usr/local/bin/mcp-postgres", "args": ["postgresql://reporter:Hx7Lp2Qw9Rt4@db.acme-corp.com/sales"]},
			"weird": {"command": "x", "env": {"PORT": 8080, "API_TOKEN": {"nested": true}}},
			"notobject": 7}}`,
		"/home/alice/.cursor/mcp.json": `{"mcpServers": {"search": {"url": "https://mcp.acme-corp.com/sse?api_key=Qm3Zr8Tk1Wp6Vb4NcX9e&region=eu",
			"headers": {"Authorization": "Bearer ` + fixBearer + `", "Accept": "text/event-stream"}}}}`,
		"/srv/app/.vscode/mcp.json": `// VS Code allows comments
			{
			  "inputs": [{"type": "promptString", "id": "gh", "password": true}],
			  "servers": {
			    /* prompted: no secret on disk */
			    "gh": {"type": "stdio", "command": "gh-mcp", "env": {"GITHUB_TOKEN": "${input:gh}", "HOST_URL": "https://x//y"}},
			    "llm": {"type": "http", "url": "https://llm.acme-corp.com/mcp", "headers": {"X-API-Key": "${env:LLM_KEY}", "x-goog-api-key": "Wd4Rf7Tg1Yh3Uj6KpL0o"}},
			  },
			}`,
		"/home/alice/.claude.json": `{"numStartups": 3, "mcpServers": {"anthropic-proxy": {"command": "proxy", "env": {"ANTHROPIC_API_KEY": "` + fixAnthropic + `"}}},
			"projects": {"/srv/app": {"mcpServers": {"hf": {"command": "hf-mcp", "env": {"HF_TOKEN": "` + fixHF + `"}}}}}}`,
		"/opt/agent/mcp.json": `{"mcpServers": {"ops": {"command": "ops", "env": {"OPS_PASSWORD": "changeme", "OPS_TOKEN": "${OPS_TOKEN}"}}}}`,
	})
	if len(warnings) != 0 {
		t.Errorf("unexpected warnings: %+v", warnings)
	}
	got := byKey(found)
	for key, want := range map[string]struct{ tool, principal, field, name, ckind string }{
		"/home/alice/.config/Claude/claude_desktop_config.json mcpServers.github.env.GITHUB_PERSONAL_ACCESS_TOKEN": {"claude_desktop", "github", "env", "GITHUB_PERSONAL_ACCESS_TOKEN", "github_token"},
		"/home/alice/.config/Claude/claude_desktop_config.json mcpServers.postgres.args.URL":                       {"claude_desktop", "postgres", "arg", "URL", "postgres_password"},
		"/home/alice/.cursor/mcp.json mcpServers.search.headers.Authorization":                                     {"cursor", "search", "header", "Authorization", "generic_secret"},
		"/home/alice/.cursor/mcp.json mcpServers.search.url":                                                       {"cursor", "search", "url", "api_key", "api_key"},
		"/srv/app/.vscode/mcp.json servers.llm.headers.x-goog-api-key":                                             {"vscode", "llm", "header", "x-goog-api-key", "api_key"},
		"/home/alice/.claude.json mcpServers.anthropic-proxy.env.ANTHROPIC_API_KEY":                                {"claude_code", "anthropic-proxy", "env", "ANTHROPIC_API_KEY", "llm_api_key"},
		"/home/alice/.claude.json projects./srv/app.mcpServers.hf.env.HF_TOKEN":                                    {"claude_code", "hf", "env", "HF_TOKEN", "llm_api_key"},
	} {
		e := got[key]
		if e == nil {
			t.Errorf("%s: not reported", key)
			continue
		}
		if e.Kind != event.KindMCPServerCredential || e.Principal != want.principal || e.Attrs["tool"] != want.tool ||
			e.Attrs[want.field] != want.name || e.Attrs["credential_kind"] != want.ckind || e.Fingerprint == "" ||
			len(e.OwnerHints) != 1 || e.OwnerHints[0] != "agent_tool:"+want.tool {
			t.Errorf("%s: got %+v, want %+v", key, e, want)
		}
	}
	if e := got["/home/alice/.claude.json mcpServers.anthropic-proxy.env.ANTHROPIC_API_KEY"]; e != nil && e.Attrs["provider"] != "anthropic" {
		t.Errorf("an Anthropic key in a server's env names no provider: %+v", e.Attrs)
	}
	if e := got["/home/alice/.config/Claude/claude_desktop_config.json mcpServers.postgres.args.URL"]; e != nil &&
		(e.Attrs["credential_principal"] != "reporter@db.acme-corp.com" || e.Attrs["command"] != "mcp-postgres" || e.Attrs["transport"] != "stdio") {
		t.Errorf("postgres server attrs: %+v", e.Attrs)
	}
	if e := got["/home/alice/.cursor/mcp.json mcpServers.search.url"]; e != nil && e.Attrs["url_host"] != "mcp.acme-corp.com" {
		t.Errorf("remote server attrs: %+v", e.Attrs)
	}
	if len(got) != 7 {
		for k := range got {
			t.Log(k)
		}
		t.Errorf("got %d findings, want 7 (references, placeholders and settings are not credentials)", len(got))
	}
	for _, e := range found {
		b, _ := json.Marshal(e)
		for _, s := range []string{fixGitHub, fixBearer, fixAnthropic, fixHF, "Hx7Lp2Qw9Rt4", "Qm3Zr8Tk1Wp6Vb4NcX9e", "Wd4Rf7Tg1Yh3Uj6KpL0o"} {
			if strings.Contains(string(b), s) {
				t.Fatalf("raw secret in event at %s", e.Location)
			}
		}
	}
}

// TestMCPMalformed: a configuration its tool could not read is a warning
// naming the file, never a crash or a failed scan, and never quotes it; so
// is one over the size limit, and one nested past the decoder's depth.
func TestMCPMalformed(t *testing.T) {
	deep := strings.Repeat(`{"a":`, 20000) + "1" + strings.Repeat("}", 20000)
	big := `{"mcpServers": {"s": {"env": {"PAD": "` + strings.Repeat("A", maxFileSize) + `"}}}}`
	_, warnings := scanMCP(t, map[string]string{
		"/home/alice/.cursor/mcp.json":                  `{"mcpServers": {"s": {"env": {"API_TOKEN": "Jk4mN8qR2tV6xZ0c"`,
		"/srv/app/.vscode/mcp.json":                     `{"servers": {} /* Jk4mN8qR2tV6xZ0c never closed`,
		"/srv/deep/mcp.json":                            deep,
		"/srv/big/mcp.json":                             big,
		"/home/alice/.continue/config.yaml":             "models: [\n",
		"/home/alice/.codeium/windsurf/mcp_config.json": `[1, 2]`,
	})
	want := map[string]string{"/home/alice/.cursor/mcp.json": "malformed", "/srv/app/.vscode/mcp.json": "malformed",
		"/srv/deep/mcp.json": "malformed", "/srv/big/mcp.json": "", "/home/alice/.continue/config.yaml": "malformed",
		"/home/alice/.codeium/windsurf/mcp_config.json": "malformed"}
	seen := map[string]bool{}
	for _, w := range warnings {
		seen[w.Location] = true
		reason, ok := want[w.Location]
		if !ok || reason != "" && w.Attrs["reason"] != reason {
			t.Errorf("unexpected warning %+v", w)
		}
		b, _ := json.Marshal(w)
		if strings.Contains(string(b), "Jk4mN8qR2tV6xZ0c") {
			t.Errorf("warning quotes the file: %s", b)
		}
	}
	for p := range want {
		if !seen[p] {
			t.Errorf("%s: no warning", p)
		}
	}
}

// TestContinueConfig: Continue's models give llm_api_key with the provider
// as principal (an Azure resource's host for Azure), its MCP servers
// mcp_server_credential; ${{ secrets.… }} references are not secrets.
func TestContinueConfig(t *testing.T) {
	found, warnings := scanMCP(t, map[string]string{
		"/home/alice/.continue/config.yaml": `name: assistant
models:
  - name: GPT
    provider: openai
    model: gpt-4o
    apiKey: ` + fixOpenAI + `
  - name: Azure
    provider: azure
    model: gpt-4o
    apiBase: https://acme-ai.openai.azure.com/
    apiKey: ` + fixAzure + `
  - name: Claude
    provider: anthropic
    apiKey: ${{ secrets.ANTHROPIC_API_KEY }}
mcpServers:
  - name: jira
    command: jira-mcp
    env:
      JIRA_API_TOKEN: Tq8vW3nL5pR2sY7bXc4e
`,
		"/home/bob/.continue/config.json": `{"models": [{"title": "Mistral", "provider": "mistral", "model": "codestral", "apiKey": "` + fixMistral + `"}],
			"embeddingsProvider": {"provider": "cohere", "apiKey": "NHIRADARcohereq7Lw2Xe9Rb4Tn6Vm1"},
			"experimental": {"modelContextProtocolServers": [{"transport": {"type": "stdio", "command": "sqlite-mcp", "env": {"SQLITE_PASSWORD": "Bv5Nc2Xz8Lk4Jh7G"}}}]}}`,
	})
	if len(warnings) != 0 {
		t.Errorf("unexpected warnings: %+v", warnings)
	}
	got := byKey(found)
	for key, want := range map[string]struct {
		kind      event.Kind
		principal string
	}{
		"/home/alice/.continue/config.yaml models.0.apiKey":                 {event.KindLLMAPIKey, "openai"},
		"/home/alice/.continue/config.yaml models.1.apiKey":                 {event.KindLLMAPIKey, "acme-ai.openai.azure.com"},
		"/home/alice/.continue/config.yaml mcpServers.0.env.JIRA_API_TOKEN": {event.KindMCPServerCredential, "jira"},
		"/home/bob/.continue/config.json models.0.apiKey":                   {event.KindLLMAPIKey, "mistral"},
		"/home/bob/.continue/config.json embeddingsProvider.apiKey":         {event.KindLLMAPIKey, "cohere"},
		"/home/bob/.continue/config.json mcpServers.0.env.SQLITE_PASSWORD":  {event.KindMCPServerCredential, "sqlite-mcp"},
	} {
		e := got[key]
		if e == nil || e.Kind != want.kind || e.Principal != want.principal || e.Attrs["tool"] != "continue" ||
			len(e.OwnerHints) != 1 || e.OwnerHints[0] != "agent_tool:continue" {
			t.Errorf("%s: got %+v, want %+v", key, e, want)
		}
	}
	if e := got["/home/alice/.continue/config.yaml models.1.apiKey"]; e != nil && (e.Attrs["provider"] != "azure_openai" || e.Attrs["model"] != "gpt-4o") {
		t.Errorf("Azure model attrs: %+v", e.Attrs)
	}
	if len(got) != 6 {
		t.Errorf("got %d findings, want 6 (a secrets reference is not a key)", len(got))
	}
}

// TestLLMKeysInEnv: an env file's provider keys are llm_api_key with the
// provider as principal, by name or by the provider's prefix; Azure's is
// named by its endpoint; one key is one event.
func TestLLMKeysInEnv(t *testing.T) {
	found, _ := scanMCP(t, map[string]string{
		"/srv/agent/.env": "OPENAI_API_KEY=" + fixOpenAI + "\nANTHROPIC_API_KEY=\"" + fixAnthropic + "\"\nHF_TOKEN=" + fixHF +
			"\nGEMINI_API_KEY=AIzaSyNHIRADAR7Lw2Xe9Rb4Tn6Vm1Kc8Pz3Hd5J\nAZURE_OPENAI_ENDPOINT=https://acme-ai.openai.azure.com\n" +
			"AZURE_OPENAI_API_KEY=" + fixAzure + "\nMISTRAL_API_KEY=" + fixMistral + "\nCOHERE_API_KEY=NHIRADARcohereq7Lw2Xe9Rb4Tn6Vm1\n" +
			"UNNAMED=" + fixGroq + "\nDEEPSEEK_API_KEY=sk-NHIRADARq7Lw2Xe9Rb4Tn6Vm1Kc8Pz3Hd5Jf\nGROQ_API_KEY=your-groq-key\n" +
			"OPENAI_BASE_URL=https://api.openai.com/v1\n",
	})
	got := byKey(found)
	for key, want := range map[string]string{"OPENAI_API_KEY": "openai", "ANTHROPIC_API_KEY": "anthropic", "HF_TOKEN": "huggingface",
		"GEMINI_API_KEY": "google_ai", "AZURE_OPENAI_API_KEY": "acme-ai.openai.azure.com", "MISTRAL_API_KEY": "mistral",
		"COHERE_API_KEY": "cohere", "UNNAMED": "groq", "DEEPSEEK_API_KEY": "deepseek"} {
		e := got["/srv/agent/.env "+key]
		if e == nil || e.Kind != event.KindLLMAPIKey || e.Principal != want || e.Attrs["provider"] == "" {
			t.Errorf("%s: got %+v, want llm_api_key of %s", key, e, want)
		}
	}
	if len(found) != 9 {
		t.Errorf("got %d events, want 9 (a placeholder and a URL are not keys)", len(found))
	}
}

// TestAgentToolSettings: keys an agent tool keeps for itself (Claude Code's
// settings env, Codex CLI's auth.json, aider's configuration, Gemini CLI's
// MCP servers) are reported with the tool as owner hint.
func TestAgentToolSettings(t *testing.T) {
	found, warnings := scanMCP(t, map[string]string{
		"/home/alice/.claude/settings.json": `{"env": {"ANTHROPIC_API_KEY": "` + fixAnthropic + `", "DISABLE_TELEMETRY": "1"}, "apiKeyHelper": "/usr/local/bin/key"}`,
		"/home/alice/.codex/auth.json":      `{"OPENAI_API_KEY": "` + fixOpenAI + `", "tokens": null}`,
		"/home/bob/.codex/auth.json":        `{"OPENAI_API_KEY": null}`,
		"/srv/app/.aider.conf.yml": "model: sonnet\nanthropic-api-key: " + fixAnthropic + "\napi-key:\n  - gemini=AIzaSyNHIRADAR7Lw2Xe9Rb4Tn6Vm1Kc8Pz3Hd5J\n  - groq=your-groq-key\n" +
			"set-env:\n  - MISTRAL_API_KEY=" + fixMistral + "\n",
		"/home/alice/.gemini/settings.json": `{"theme": "dark", "mcpServers": {"gh": {"command": "gh-mcp", "env": {"GITHUB_TOKEN": "` + fixGitHub + `"}}}}`,
	})
	if len(warnings) != 0 {
		t.Errorf("unexpected warnings: %+v", warnings)
	}
	got := byKey(found)
	for key, want := range map[string]struct {
		kind            event.Kind
		principal, tool string
	}{
		"/home/alice/.claude/settings.json env.ANTHROPIC_API_KEY":          {event.KindLLMAPIKey, "anthropic", "claude_code"},
		"/home/alice/.codex/auth.json OPENAI_API_KEY":                      {event.KindLLMAPIKey, "openai", "codex"},
		"/srv/app/.aider.conf.yml anthropic-api-key":                       {event.KindLLMAPIKey, "anthropic", "aider"},
		"/srv/app/.aider.conf.yml api-key.gemini":                          {event.KindLLMAPIKey, "google_ai", "aider"},
		"/srv/app/.aider.conf.yml set-env.MISTRAL_API_KEY":                 {event.KindLLMAPIKey, "mistral", "aider"},
		"/home/alice/.gemini/settings.json mcpServers.gh.env.GITHUB_TOKEN": {event.KindMCPServerCredential, "gh", "gemini_cli"},
	} {
		e := got[key]
		if e == nil || e.Kind != want.kind || e.Principal != want.principal || e.Attrs["tool"] != want.tool ||
			len(e.OwnerHints) != 1 || e.OwnerHints[0] != "agent_tool:"+want.tool {
			t.Errorf("%s: got %+v, want %+v", key, e, want)
		}
	}
	if len(got) != 6 {
		for k := range got {
			t.Log(k)
		}
		t.Errorf("got %d findings, want 6 (settings, null and placeholders are not keys)", len(got))
	}
}

// TestMCPOneEventPerSecret: Claude Code repeats a server under each project;
// one secret handed to one server in one file is one event. A BOM does not
// make the file malformed.
func TestMCPOneEventPerSecret(t *testing.T) {
	server := `{"command": "gh-mcp", "env": {"GITHUB_TOKEN": "` + fixGitHub + `"}}`
	found, warnings := scanMCP(t, map[string]string{
		"/home/alice/.claude.json": "\xef\xbb\xbf" + `{"mcpServers": {"gh": ` + server + `}, "projects": {"/srv/a": {"mcpServers": {"gh": ` + server +
			`}}, "/srv/b": {"mcpServers": {"gh": ` + server + `, "other": ` + server + `}}}}`,
	})
	if len(warnings) != 0 {
		t.Errorf("unexpected warnings: %+v", warnings)
	}
	principals := map[string]int{}
	for _, e := range found {
		principals[e.Principal]++
	}
	if len(found) != 2 || principals["gh"] != 1 || principals["other"] != 1 {
		t.Errorf("want one event per server and secret, got %v", principals)
	}
}

func TestStripJSONC(t *testing.T) {
	for in, want := range map[string]string{
		`{"a": "x//y", // c` + "\n" + `"b": [1, 2,], /* d */ }`: `{"a": "x//y", ` + "\n" + `"b": [1, 2]   }`,
		`{"s": "a\"/*b"}`: `{"s": "a\"/*b"}`,
	} {
		got, err := stripJSONC([]byte(in))
		if err != nil || string(got) != want {
			t.Errorf("stripJSONC(%q) = %q, %v; want %q", in, got, err, want)
		}
		var v any
		if json.Unmarshal(got, &v) != nil {
			t.Errorf("stripJSONC(%q) is not JSON: %q", in, got)
		}
	}
	for _, in := range []string{`{"a": "open`, `{} /* open`} {
		if _, err := stripJSONC([]byte(in)); err == nil {
			t.Errorf("stripJSONC(%q): no error", in)
		}
	}
}
