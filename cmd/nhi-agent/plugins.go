package main

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/nhiradar/nhiradar/agent/config"
	"github.com/nhiradar/nhiradar/agent/pluginhost"
	"github.com/nhiradar/nhiradar/plugins/sdk"
)

// shipped names the plugin executables that ship with the agent, in the
// order a one-shot scan runs them: the structured parsers first, then
// content, which skips the files they own.
var shipped = []string{"credfiles", "processes", "accounts", "sshkeys", "kubernetes", "authlog", "content"}

// pluginFlags choose the plugins of a one-shot scan. They run as separate
// processes, as under the service: the agent binary itself links no
// discovery code, which keeps the resident service small.
type pluginFlags struct {
	PluginDir string   `help:"Directory holding the nhi-plugin-* executables (default: nhi-agent's own directory if it holds them, else ${plugin_dir})." env:"NHI_PLUGIN_DIR" type:"path" name:"plugin-dir"`
	Plugins   []string `help:"Run only these plugins (default: every shipped plugin: ${shipped})." sep:"," name:"plugins"`
	// The service's limits: a one-shot scan runs on the same hosts, often
	// as root, and must not be the way around them.
	PluginMemory  int64         `help:"Memory limit of each plugin process, in bytes (as limits.plugin_memory_bytes)." default:"${plugin_memory}" name:"plugin-memory"`
	PluginTimeout time.Duration `help:"Time limit of each plugin's scan (as a plugin's timeout)." default:"${plugin_timeout}" name:"plugin-timeout"`
}

// open returns a host for each chosen plugin executable and a function that
// stops them all. An executable the scan cannot trust is an error before
// any plugin runs.
func (f *pluginFlags) open(log *slog.Logger) ([]sdk.Plugin, func(), error) {
	if f.PluginMemory < 16<<20 {
		return nil, nil, fmt.Errorf("--plugin-memory %d: below 16 MiB no plugin can run", f.PluginMemory)
	}
	dir, err := f.dir()
	if err != nil {
		return nil, nil, err
	}
	names := f.Plugins
	if len(names) == 0 {
		names = shipped
	}
	var hosts []*pluginhost.Plugin
	stop := func() {
		for _, h := range hosts {
			h.Stop()
		}
	}
	var out []sdk.Plugin
	for _, name := range names {
		if !slices.Contains(shipped, name) {
			return nil, nil, fmt.Errorf("--plugins: unknown plugin %q (shipped: %s)", name, strings.Join(shipped, ", "))
		}
		path := filepath.Join(dir, "nhi-plugin-"+name)
		sum, err := trusted(path)
		if err != nil {
			return nil, nil, err
		}
		log.Debug("plugin", "name", name, "path", path, "sha256", sum)
		h := pluginhost.New(pluginhost.Spec{Name: name, Path: path, SHA256: sum, Timeout: f.PluginTimeout,
			MemoryLimit: f.PluginMemory}, pluginhost.Options{Log: log})
		hosts = append(hosts, h)
		out = append(out, h)
	}
	return out, stop, nil
}

func (f *pluginFlags) dir() (string, error) {
	if f.PluginDir != "" {
		return f.PluginDir, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("find the plugin directory (set --plugin-dir): %w", err)
	}
	if exe, err = filepath.EvalSymlinks(exe); err != nil {
		return "", fmt.Errorf("find the plugin directory (set --plugin-dir): %w", err)
	}
	// Built from source the plugins sit beside the agent (bin/); installed
	// from a package they sit in the configuration's default plugin_dir.
	dir := filepath.Dir(exe)
	if _, err := os.Stat(filepath.Join(dir, "nhi-plugin-"+shipped[0])); err != nil {
		if _, err := os.Stat(config.DefaultPluginDir); err == nil {
			return config.DefaultPluginDir, nil
		}
	}
	return dir, nil
}

// trusted returns the SHA-256 of a plugin executable that only its owner may
// change. A one-shot scan has no configuration to pin plugins in; it runs
// what the operator installed beside the agent, and go-plugin checks that
// the file it starts is the file hashed here.
func trusted(path string) (string, error) {
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("plugin executable %s not found (build it with `make build`, or point --plugin-dir at the installed plugins)", path)
	}
	if err != nil {
		return "", fmt.Errorf("plugin executable: %w", err)
	}
	if !st.Mode().IsRegular() || st.Mode()&0o111 == 0 {
		return "", fmt.Errorf("plugin %s is not an executable file", path)
	}
	if st.Mode()&0o022 != 0 {
		return "", fmt.Errorf("plugin %s is writable by group or others (mode %v); refusing to run it", path, st.Mode().Perm())
	}
	return pluginhost.FileSHA256(path)
}
