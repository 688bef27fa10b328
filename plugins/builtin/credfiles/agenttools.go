package credfiles

import (
	"encoding/json"
	"errors"
	"path"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/nhiradar/nhiradar/plugins/builtin/internal/llmkeys"
	"github.com/nhiradar/nhiradar/plugins/builtin/internal/principal"
	"github.com/nhiradar/nhiradar/plugins/sdk/decoy"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// toolValue is a value an agent tool's own settings hold, at key.
type toolValue struct {
	key string
	a   assignment
}

// toolFindings classifies the values a tool's settings hold for the tool
// itself (Claude Code's env, Codex's API key, aider's keys) as an env file's
// are: an AI provider's key is an llm_api_key, a GitHub token a
// github_token; the tool is the owner hint.
func toolFindings(in input, tool string, vals []toolValue) []finding {
	vars := map[string]string{}
	for _, v := range vals {
		vars[principal.Normalize(v.a.name)] = v.a.value
	}
	var out []finding
	for _, v := range vals {
		f, ok := classifyOne(in, v.a, vars)
		if !ok {
			continue
		}
		attrs := map[string]string{"tool": tool}
		for k, x := range f.attrs {
			attrs[k] = x
		}
		if f.principal == "" {
			f.principal = principal.Find(v.a.name, vars)
		}
		f.key, f.attrs, f.hints = v.key, attrs, []string{"agent_tool:" + tool}
		out = append(out, f)
	}
	return out
}

// parseAider reads aider's .aider.conf.yml: openai-api-key,
// anthropic-api-key, api-key entries (provider=key, named as the
// provider's variable) and set-env entries (NAME=value).
func parseAider(in input) ([]finding, error) {
	var cfg map[string]any
	if err := yaml.Unmarshal(in.content, &cfg); err != nil {
		return nil, errors.New("not an aider configuration")
	}
	var vals []toolValue
	for _, k := range []string{"openai-api-key", "anthropic-api-key"} {
		if v, ok := cfg[k].(string); ok {
			vals = append(vals, toolValue{k, assignment{name: strings.ToUpper(strings.ReplaceAll(k, "-", "_")), value: v, structured: true}})
		}
	}
	for _, e := range stringList(cfg["api-key"]) {
		if p, v, ok := strings.Cut(e, "="); ok && validName(p) {
			vals = append(vals, toolValue{"api-key." + p, assignment{name: strings.ToUpper(p) + "_API_KEY", value: v, structured: true}})
		}
	}
	for _, e := range stringList(cfg["set-env"]) {
		if n, v, ok := strings.Cut(e, "="); ok && validName(n) {
			vals = append(vals, toolValue{"set-env." + n, assignment{name: n, value: v}})
		}
	}
	return toolFindings(in, toolAider, vals), nil
}

// stringList reads a YAML value that is a string or a list of strings.
func stringList(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// continueModel is one model of a Continue configuration.
type continueModel struct {
	Name     string `json:"name" yaml:"name"`
	Title    string `json:"title" yaml:"title"`
	Provider string `json:"provider" yaml:"provider"`
	Model    string `json:"model" yaml:"model"`
	APIKey   string `json:"apiKey" yaml:"apiKey"`
	APIBase  string `json:"apiBase" yaml:"apiBase"`
}

// continueServer is one MCP server of a Continue configuration: config.yaml
// lists them by name; config.json nests stdio ones under transport.
type continueServer struct {
	Name      string            `json:"name" yaml:"name"`
	Command   string            `json:"command" yaml:"command"`
	Args      []string          `json:"args" yaml:"args"`
	Env       map[string]string `json:"env" yaml:"env"`
	URL       string            `json:"url" yaml:"url"`
	Type      string            `json:"type" yaml:"type"`
	Transport *continueServer   `json:"transport" yaml:"transport"`
}

type continueConfig struct {
	Models       []continueModel  `json:"models" yaml:"models"`
	Embeddings   *continueModel   `json:"embeddingsProvider" yaml:"embeddingsProvider"`
	MCPServers   []continueServer `json:"mcpServers" yaml:"mcpServers"`
	Experimental struct {
		Servers []continueServer `json:"modelContextProtocolServers" yaml:"modelContextProtocolServers"`
	} `json:"experimental" yaml:"experimental"`
}

// parseContinue reads Continue's config.json or config.yaml: each model's
// apiKey is an llm_api_key of its provider (principal: the provider, or the
// Azure resource's host), and its MCP servers' credentials are reported as
// the other tools' are. ${{ secrets.… }} references hold no secret.
func parseContinue(in input) ([]finding, error) {
	var cfg continueConfig
	if strings.HasSuffix(in.path, ".json") {
		clean, err := stripJSONC(in.content)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(clean, &cfg); err != nil {
			return nil, errors.New("not a Continue configuration")
		}
	} else if err := yaml.Unmarshal(in.content, &cfg); err != nil {
		return nil, errors.New("not a Continue configuration")
	}
	var out []finding
	models := cfg.Models
	if cfg.Embeddings != nil {
		models = append(models, *cfg.Embeddings)
	}
	for i, m := range models {
		if f, ok := continueModelKey(in, i, len(cfg.Models), m); ok {
			out = append(out, f)
		}
	}
	servers := append(cfg.MCPServers, cfg.Experimental.Servers...)
	for i, s := range servers {
		if s.Transport != nil {
			s = *s.Transport
		}
		name := s.Name
		switch {
		case name != "":
		case s.Command != "":
			name = path.Base(s.Command)
		default:
			name = llmkeys.Host(s.URL)
		}
		out = append(out, serverFindings(in, toolContinue, "mcpServers."+strconv.Itoa(i), name, s.asMCP())...)
	}
	return out, nil
}

func continueModelKey(in input, i, nModels int, m continueModel) (finding, bool) {
	if m.APIKey == "" || decoy.Placeholder(m.APIKey) {
		return finding{}, false
	}
	provider := llmkeys.Named(m.Provider)
	if provider == "" {
		provider, _ = llmkeys.ByValue(m.APIKey)
	}
	key := "models." + strconv.Itoa(i) + ".apiKey"
	if i >= nModels {
		key = "embeddingsProvider.apiKey"
	}
	attrs := map[string]string{"tool": toolContinue, "provider": provider}
	if m.Model != "" {
		attrs["model"] = m.Model
	}
	if h := llmkeys.Host(m.APIBase); h != "" {
		attrs["api_base_host"] = h
	}
	return finding{kind: event.KindLLMAPIKey, principal: llmkeys.Principal(provider, m.APIBase), fingerprint: in.fp.Of(m.APIKey),
		key: key, hints: []string{"agent_tool:" + toolContinue}, attrs: attrs}, true
}

// asMCP gives a Continue server the shape of the other tools' servers.
func (s continueServer) asMCP() mcpServer {
	m := mcpServer{Type: s.Type, Command: s.Command, URL: s.URL, Env: map[string]json.RawMessage{}}
	for _, a := range s.Args {
		raw, _ := json.Marshal(a)
		m.Args = append(m.Args, raw)
	}
	for k, v := range s.Env {
		raw, _ := json.Marshal(v)
		m.Env[k] = raw
	}
	return m
}
