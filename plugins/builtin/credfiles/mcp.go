package credfiles

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/url"
	"path"
	"strings"

	"github.com/nhiradar/nhiradar/plugins/builtin/internal/llmkeys"
	"github.com/nhiradar/nhiradar/plugins/builtin/internal/principal"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// The agent tools whose configurations are read; attrs.tool and the owner
// hint agent_tool:<tool> name them.
const (
	toolClaudeDesktop = "claude_desktop"
	toolClaudeCode    = "claude_code"
	toolCursor        = "cursor"
	toolVSCode        = "vscode"
	toolWindsurf      = "windsurf"
	toolContinue      = "continue"
	toolMCP           = "mcp"
	toolGeminiCLI     = "gemini_cli"
	toolCodex         = "codex"
	toolAider         = "aider"
)

// agentToolOf returns the agent tool whose configuration a host path is, by
// the names the tools give their files; a bare mcp.json is any tool's.
func agentToolOf(host string) (string, bool) {
	base := path.Base(host)
	switch {
	case base == "claude_desktop_config.json":
		return toolClaudeDesktop, true
	case base == ".mcp.json" || base == ".claude.json":
		return toolClaudeCode, true
	case strings.HasSuffix(host, "/.cursor/mcp.json"):
		return toolCursor, true
	case strings.HasSuffix(host, "/.vscode/mcp.json"):
		return toolVSCode, true
	case strings.HasSuffix(host, "/.codeium/windsurf/mcp_config.json"):
		return toolWindsurf, true
	case strings.HasSuffix(host, "/.continue/config.json") || strings.HasSuffix(host, "/.continue/config.yaml") ||
		strings.HasSuffix(host, "/.continue/config.yml"):
		return toolContinue, true
	case base == "mcp.json":
		return toolMCP, true
	case strings.HasSuffix(host, "/.claude/settings.json") || strings.HasSuffix(host, "/.claude/settings.local.json"):
		return toolClaudeCode, true
	case strings.HasSuffix(host, "/.gemini/settings.json"):
		return toolGeminiCLI, true
	case strings.HasSuffix(host, "/.codex/auth.json"):
		return toolCodex, true
	case base == ".aider.conf.yml" || base == ".aider.conf.yaml":
		return toolAider, true
	}
	return "", false
}

// mcpServer is one server of an MCP configuration. Values are kept raw: a
// number or object where a string belongs skips that value, not the file.
type mcpServer struct {
	Type      string                     `json:"type"`
	Command   string                     `json:"command"`
	Args      []json.RawMessage          `json:"args"`
	URL       string                     `json:"url"`
	ServerURL string                     `json:"serverUrl"`
	Env       map[string]json.RawMessage `json:"env"`
	Headers   map[string]json.RawMessage `json:"headers"`
}

// parseMCPConfig reads an agent tool's MCP configuration: the servers under
// mcpServers (Claude Desktop, Claude Code, Cursor, Windsurf) or servers
// (VS Code), and Claude Code's per-project servers. Every credential in a
// server's env, headers, arguments or URL is a mcp_server_credential of
// that server. The tool's own settings in the same shape (Claude Code's
// env, Codex CLI's OPENAI_API_KEY) are read as an env file's. Comments and
// trailing commas (VS Code's JSONC) are allowed.
func parseMCPConfig(in input) ([]finding, error) {
	tool, _ := agentToolOf(in.path)
	switch tool {
	case toolContinue:
		return parseContinue(in)
	case toolAider:
		return parseAider(in)
	}
	clean, err := stripJSONC(in.content)
	if err != nil {
		return nil, err
	}
	var cfg struct {
		MCPServers map[string]json.RawMessage `json:"mcpServers"`
		Servers    map[string]json.RawMessage `json:"servers"`
		Projects   map[string]struct {
			MCPServers map[string]json.RawMessage `json:"mcpServers"`
		} `json:"projects"`
		// Env is Claude Code's settings' environment of every session.
		Env map[string]json.RawMessage `json:"env"`
		// OpenAIAPIKey is where Codex CLI's auth.json keeps an API key.
		OpenAIAPIKey json.RawMessage `json:"OPENAI_API_KEY"`
	}
	if err := json.Unmarshal(clean, &cfg); err != nil {
		return nil, errors.New("not an MCP configuration (JSON object)")
	}
	out := mcpServers(in, tool, "mcpServers", cfg.MCPServers)
	out = append(out, mcpServers(in, tool, "servers", cfg.Servers)...)
	for _, p := range sortedKeys(cfg.Projects) {
		out = append(out, mcpServers(in, tool, "projects."+p+".mcpServers", cfg.Projects[p].MCPServers)...)
	}
	var env []toolValue
	for _, k := range sortedKeys(cfg.Env) {
		if v, ok := rawString(cfg.Env[k]); ok {
			env = append(env, toolValue{"env." + k, assignment{name: k, value: v}})
		}
	}
	if v, ok := rawString(cfg.OpenAIAPIKey); ok {
		env = append(env, toolValue{"OPENAI_API_KEY", assignment{name: "OPENAI_API_KEY", value: v}})
	}
	return oncePerSecret(append(out, toolFindings(in, tool, env)...)), nil
}

// oncePerSecret keeps the first finding of each secret for one principal:
// Claude Code repeats a server under every project that uses it, and one
// secret handed to one server is one observation wherever the file repeats
// it.
func oncePerSecret(fs []finding) []finding {
	seen := map[string]bool{}
	out := fs[:0]
	for _, f := range fs {
		k := string(f.kind) + "\x00" + f.principal + "\x00" + f.fingerprint
		if f.fingerprint != "" && seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, f)
	}
	return out
}

// mcpServers reports the credentials of each server of one servers object;
// a server that is not an object is skipped.
func mcpServers(in input, tool, at string, servers map[string]json.RawMessage) []finding {
	var out []finding
	for _, name := range sortedKeys(servers) {
		var s mcpServer
		if json.Unmarshal(servers[name], &s) != nil {
			continue
		}
		out = append(out, serverFindings(in, tool, at+"."+name, name, s)...)
	}
	return out
}

// serverFindings classifies what one server is handed: env values by their
// name (or a known token format), headers and URL passwords by structure
// (only placeholders are skipped), arguments as a command line's.
func serverFindings(in input, tool, at, name string, s mcpServer) []finding {
	items := serverItems(at, s)
	vars := map[string]string{}
	for _, it := range items {
		vars[principal.Normalize(it.a.name)] = it.a.value
	}
	attrs := serverAttrs(tool, name, s)
	var out []finding
	for _, it := range items {
		f, ok := classifyOne(in, it.a, vars)
		if !ok {
			continue
		}
		fa := make(map[string]string, len(attrs)+4)
		for k, v := range attrs {
			fa[k] = v
		}
		fa[it.field] = it.name
		fa["credential_kind"] = string(f.kind)
		if p := f.attrs["provider"]; p != "" {
			fa["provider"] = p
		}
		if f.principal != "" && f.principal != f.attrs["provider"] {
			fa["credential_principal"] = f.principal // a URL's user@host, an Azure resource
		}
		out = append(out, finding{kind: event.KindMCPServerCredential, principal: name, fingerprint: f.fingerprint,
			key: it.key, hints: []string{"agent_tool:" + tool}, attrs: fa})
	}
	return out
}

// target is a remote server's URL (Windsurf calls it serverUrl).
func (s mcpServer) target() string {
	if s.URL != "" {
		return s.URL
	}
	return s.ServerURL
}

// serverAttrs describes a server without its secrets: tool, name,
// transport, the program's base name or the remote host.
func serverAttrs(tool, name string, s mcpServer) map[string]string {
	attrs := map[string]string{"tool": tool, "server": name}
	switch {
	case s.Type != "":
		attrs["transport"] = s.Type
	case s.Command != "":
		attrs["transport"] = "stdio"
	case s.target() != "":
		attrs["transport"] = "http"
	}
	if s.Command != "" {
		attrs["command"] = path.Base(s.Command)
	}
	if h := llmkeys.Host(s.target()); h != "" {
		attrs["url_host"] = h
	}
	return attrs
}

// serverItems lists the values a server is handed, in a stable order.
func serverItems(at string, s mcpServer) []mcpItem {
	var items []mcpItem
	for _, k := range sortedKeys(s.Env) {
		if v, ok := rawString(s.Env[k]); ok {
			items = append(items, mcpItem{"env", k, at + ".env." + k, assignment{name: k, value: v}})
		}
	}
	for _, k := range sortedKeys(s.Headers) {
		if v, ok := rawString(s.Headers[k]); ok {
			items = append(items, mcpItem{"header", k, at + ".headers." + k, headerAssignment(k, v)})
		}
	}
	items = append(items, urlItems(at, s.target())...)
	var words []string
	for _, raw := range s.Args {
		if v, ok := rawString(raw); ok {
			words = append(words, v)
		}
	}
	for _, a := range argSecrets(words) {
		items = append(items, mcpItem{"arg", a.name, at + ".args." + a.name, a})
	}
	return items
}

// mcpItem is one value a server is handed: field says where (env, header,
// arg, url), name its variable, header or parameter name, key its JSON path.
type mcpItem struct {
	field, name, key string
	a                assignment
}

// headerAssignment turns a request header into an assignment: a header
// named like a credential (Authorization, X-API-Key) is one by structure,
// with its auth scheme (Bearer, token, Basic) taken off.
func headerAssignment(name, value string) assignment {
	n := strings.ReplaceAll(name, "-", "_")
	v := strings.TrimSpace(value)
	if scheme, rest, ok := strings.Cut(v, " "); ok {
		switch strings.ToLower(scheme) {
		case "bearer", "token", "basic", "apikey", "api-key":
			v = strings.TrimSpace(rest)
		}
	}
	return assignment{name: n, value: v, structured: secretName.MatchString(n) && !notSecretName.MatchString(n)}
}

// urlItems finds credentials in a remote server's URL: a password, or a
// query parameter named like one (?api_key=…); the URL itself is reported
// by host only.
func urlItems(at, target string) []mcpItem {
	u, err := url.Parse(target)
	if err != nil || target == "" {
		return nil
	}
	var out []mcpItem
	if pass, ok := u.User.Password(); ok {
		out = append(out, mcpItem{"url", "password", at + ".url", assignment{name: "URL_PASSWORD", value: pass, structured: true}})
	}
	q := u.Query()
	for _, k := range sortedKeys(q) {
		n := strings.ReplaceAll(k, "-", "_")
		if len(q[k]) > 0 && secretName.MatchString(n) && !notSecretName.MatchString(n) {
			out = append(out, mcpItem{"url", k, at + ".url", assignment{name: n, value: q[k][0], structured: true}})
		}
	}
	return out
}

// rawString decodes a JSON string; anything else is not a value to judge.
func rawString(raw json.RawMessage) (string, bool) {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// stripJSONC turns JSON with comments and trailing commas (VS Code's
// JSONC) into JSON, in one pass over the bounded content. Comments become
// blanks so that offsets stay; an unterminated comment or string is an
// error.
func stripJSONC(b []byte) ([]byte, error) {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")) // a BOM, as Windows editors write
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c == '"':
			j, err := stringEnd(b, i)
			if err != nil {
				return nil, err
			}
			out = append(out, b[i:j+1]...)
			i = j
		case c == '/' && i+1 < len(b) && b[i+1] == '/':
			for i < len(b) && b[i] != '\n' {
				i++
			}
			out = append(out, '\n')
		case c == '/' && i+1 < len(b) && b[i+1] == '*':
			end := bytes.Index(b[i+2:], []byte("*/"))
			if end < 0 {
				return nil, errors.New("unterminated comment")
			}
			out = append(out, ' ')
			i += end + 3
		case c == '}' || c == ']':
			out = dropTrailingComma(out)
			out = append(out, c)
		default:
			out = append(out, c)
		}
	}
	return out, nil
}

// stringEnd returns the index of the quote closing the string opened at i.
func stringEnd(b []byte, i int) (int, error) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j, nil
		case '\n':
			return 0, errors.New("unterminated string")
		}
	}
	return 0, errors.New("unterminated string")
}

// dropTrailingComma removes a comma (and the blanks after it) that ends out.
func dropTrailingComma(out []byte) []byte {
	j := len(out) - 1
	for j >= 0 && (out[j] == ' ' || out[j] == '\t' || out[j] == '\n' || out[j] == '\r') {
		j--
	}
	if j >= 0 && out[j] == ',' {
		return append(out[:j], out[j+1:]...)
	}
	return out
}
