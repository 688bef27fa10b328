package main

import (
	"bytes"
	"embed"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"text/template"
	"time"

	"github.com/goreleaser/nfpm/v2"
	_ "github.com/goreleaser/nfpm/v2/deb" // registers the packager
	"github.com/goreleaser/nfpm/v2/files"
	_ "github.com/goreleaser/nfpm/v2/rpm" // registers the packager

	"github.com/nhiradar/nhiradar/agent/config"
	"github.com/nhiradar/nhiradar/agent/pluginhost"
	"github.com/nhiradar/nhiradar/agent/service"
)

//go:embed assets
var assets embed.FS

// Plugins are the plugin executables the agent package ships, in the order
// of cmd/nhi-agent's shipped list (structured parsers first, content last).
var Plugins = []string{"credfiles", "processes", "accounts", "sshkeys", "kubernetes", "authlog", "content"}

// Formats are the package formats built.
var Formats = []string{"deb", "rpm"}

type options struct {
	Bin, Out, Policy, Version, Arch string
}

// Build writes every package and returns their paths.
func Build(o options) ([]string, error) {
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return nil, fmt.Errorf("output directory: %w", err)
	}
	stage, err := os.MkdirTemp("", "nhi-package-")
	if err != nil {
		return nil, fmt.Errorf("staging directory: %w", err)
	}
	defer os.RemoveAll(stage)
	agent, err := agentInfo(o, stage)
	if err != nil {
		return nil, err
	}
	collector, err := collectorInfo(o, stage)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, info := range []*nfpm.Info{agent, collector} {
		for _, format := range Formats {
			p, err := write(info, format, o.Out)
			if err != nil {
				return nil, err
			}
			out = append(out, p)
		}
	}
	return out, nil
}

func write(tmpl *nfpm.Info, format, dir string) (string, error) {
	pkgr, err := nfpm.Get(format)
	if err != nil {
		return "", fmt.Errorf("%s: %w", format, err)
	}
	// PrepareForPackager fills defaults into the info; each format gets
	// its own copy so that one does not see the other's.
	info := *tmpl
	info.Contents = append(files.Contents(nil), tmpl.Contents...)
	if format == "rpm" {
		// RPM distributions create users with useradd from shadow-utils;
		// there is no adduser package to depend on.
		info.Depends = []string{"shadow-utils"}
	}
	info.Target = filepath.Join(dir, pkgr.ConventionalFileName(&info))
	if err := nfpm.PrepareForPackager(nfpm.WithDefaults(&info), format); err != nil {
		return "", fmt.Errorf("%s %s: %w", info.Name, format, err)
	}
	f, err := os.Create(info.Target)
	if err != nil {
		return "", fmt.Errorf("%s %s: %w", info.Name, format, err)
	}
	if err := pkgr.Package(&info, f); err != nil {
		f.Close()
		return "", fmt.Errorf("%s %s: %w", info.Name, format, err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("%s %s: %w", info.Name, format, err)
	}
	return info.Target, nil
}

var semver = regexp.MustCompile(`^v?([0-9]+\.[0-9]+\.[0-9]+)(.*)$`)

// PackageVersion turns `git describe` output into a version dpkg and rpm
// order correctly: v1.2.3 is 1.2.3; a build between tags (v1.2.3-4-gabc)
// sorts after 1.2.3; an untagged tree is 0.0.0~git<hash>, before any
// release.
func PackageVersion(describe string) string {
	clean := strings.NewReplacer("-", ".", "_", ".").Replace
	if m := semver.FindStringSubmatch(describe); m != nil {
		if m[2] == "" {
			return m[1]
		}
		return m[1] + "+" + strings.TrimLeft(clean(m[2]), ".")
	}
	return "0.0.0~git" + clean(describe)
}

func base(o options, name, desc string) *nfpm.Info {
	return &nfpm.Info{
		Name: name, Arch: o.Arch, Platform: "linux", Version: PackageVersion(o.Version),
		VersionSchema: "none", Section: "admin", Priority: "optional",
		Maintainer: "NHI Radar <nhiradar@example.com>", Vendor: "NHI Radar",
		Homepage: "https://github.com/nhiradar/nhiradar", License: "Apache-2.0",
		Description: desc, MTime: time.Unix(0, 0).UTC(),
	}
}

func binary(o options, name, dst string) *files.Content {
	return &files.Content{Source: filepath.Join(o.Bin, name), Destination: dst,
		FileInfo: &files.ContentFileInfo{Mode: 0o755}}
}

// staged writes b into the staging directory, for content nfpm reads from
// a file.
func staged(stage, name string, b []byte) (string, error) {
	p := filepath.Join(stage, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		return "", fmt.Errorf("stage %s: %w", name, err)
	}
	return p, nil
}

func asset(name string) string { return filepath.Join("assets", name) }

// stageAsset stages an embedded asset (maintainer script, unit, configuration)
// for nfpm, which reads its contents from files.
func stageAsset(stage, name string) (string, error) {
	b, err := assets.ReadFile(asset(name))
	if err != nil {
		return "", fmt.Errorf("asset %s: %w", name, err)
	}
	return staged(stage, name, b)
}

func scripts(stage, prefix string) (nfpm.Scripts, error) {
	var s nfpm.Scripts
	for _, x := range []struct {
		to   *string
		name string
	}{{&s.PostInstall, "postinstall"}, {&s.PreRemove, "preremove"}, {&s.PostRemove, "postremove"}} {
		p, err := stageAsset(stage, prefix+"-"+x.name+".sh")
		if err != nil {
			return s, err
		}
		*x.to = p
	}
	return s, nil
}

type pin struct{ Name, SHA256 string }

// AgentConfig renders the default agent.yaml with the SHA-256 of each
// plugin executable in bin.
func AgentConfig(bin string) ([]byte, error) {
	var pins []pin
	for _, name := range Plugins {
		sum, err := pluginhost.FileSHA256(filepath.Join(bin, "nhi-plugin-"+name))
		if err != nil {
			return nil, fmt.Errorf("pin plugin %s: %w", name, err)
		}
		pins = append(pins, pin{name, sum})
	}
	t, err := template.ParseFS(assets, asset("agent.yaml.tmpl"))
	if err != nil {
		return nil, fmt.Errorf("agent.yaml template: %w", err)
	}
	var b bytes.Buffer
	err = t.Execute(&b, struct {
		PluginDir string
		Plugins   []pin
	}{config.DefaultPluginDir, pins})
	if err != nil {
		return nil, fmt.Errorf("agent.yaml: %w", err)
	}
	// The package must never install a configuration the agent refuses.
	if _, err := config.Parse(b.Bytes()); err != nil {
		return nil, fmt.Errorf("default agent.yaml: %w", err)
	}
	return b.Bytes(), nil
}

func agentInfo(o options, stage string) (*nfpm.Info, error) {
	info := base(o, "nhi-agent", "NHI Radar agent: discovers API keys, tokens, SSH keys and service accounts on this host and reports them to Kafka.")
	info.Depends = []string{"adduser"}
	info.RPM.Packager = "NHI Radar"
	cfg, err := AgentConfig(o.Bin)
	if err != nil {
		return nil, err
	}
	cfgPath, err := staged(stage, "agent.yaml", cfg)
	if err != nil {
		return nil, err
	}
	unit, err := service.SystemdUnit("/usr/bin/nhi-agent", config.DefaultPath, service.DefaultUser)
	if err != nil {
		return nil, err
	}
	unitPath, err := staged(stage, "nhi-agent.service", []byte(unit))
	if err != nil {
		return nil, err
	}
	c := files.Contents{
		binary(o, "nhi-agent", "/usr/bin/nhi-agent"),
		{Destination: "/etc/nhi-agent", Type: files.TypeDir, FileInfo: &files.ContentFileInfo{Mode: 0o755}},
		{Source: cfgPath, Destination: config.DefaultPath, Type: files.TypeConfigNoReplace, FileInfo: &files.ContentFileInfo{Mode: 0o644}},
		{Source: unitPath, Destination: "/lib/systemd/system/nhi-agent.service", FileInfo: &files.ContentFileInfo{Mode: 0o644}},
	}
	for _, name := range Plugins {
		c = append(c, binary(o, "nhi-plugin-"+name, filepath.Join(config.DefaultPluginDir, "nhi-plugin-"+name)))
	}
	info.Contents = c
	if info.Scripts, err = scripts(stage, "agent"); err != nil {
		return nil, err
	}
	return info, nil
}

func collectorInfo(o options, stage string) (*nfpm.Info, error) {
	info := base(o, "nhi-collector", "NHI Radar collector and nhictl: stores agents' events from Kafka in ClickHouse; analysis, findings, tickets and reports.")
	info.Depends = []string{"adduser"}
	info.RPM.Packager = "NHI Radar"
	cfgPath, err := stageAsset(stage, "collector.yaml")
	if err != nil {
		return nil, err
	}
	unitPath, err := stageAsset(stage, "nhi-collector.service")
	if err != nil {
		return nil, err
	}
	conf := func(src, dst string) *files.Content {
		return &files.Content{Source: src, Destination: dst, Type: files.TypeConfigNoReplace, FileInfo: &files.ContentFileInfo{Mode: 0o644}}
	}
	info.Contents = files.Contents{
		binary(o, "nhi-collector", "/usr/bin/nhi-collector"),
		binary(o, "nhictl", "/usr/bin/nhictl"),
		{Destination: "/etc/nhi-collector", Type: files.TypeDir, FileInfo: &files.ContentFileInfo{Mode: 0o755}},
		conf(cfgPath, "/etc/nhi-collector/collector.yaml"),
		conf(filepath.Join(o.Policy, "policy.yaml"), "/etc/nhi-collector/policy.yaml"),
		conf(filepath.Join(o.Policy, "owners.csv"), "/etc/nhi-collector/owners.csv"),
		{Source: unitPath, Destination: "/lib/systemd/system/nhi-collector.service", FileInfo: &files.ContentFileInfo{Mode: 0o644}},
	}
	if info.Scripts, err = scripts(stage, "collector"); err != nil {
		return nil, err
	}
	return info, nil
}
