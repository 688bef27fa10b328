package service

import (
	"fmt"
	"strings"
	"text/template"
)

// systemdUnit is the unit kardianos/service writes on systemd hosts (its
// mini template syntax). Every directive below keeps discovery working:
//
//   - The agent runs as a dedicated system user with two ambient
//     capabilities instead of root: CAP_DAC_READ_SEARCH to read every file
//     (other users' ~/.aws, ~/.ssh, /etc/shadow-like stores) and
//     CAP_SYS_PTRACE to read other users' /proc/PID/environ. Plugins
//     inherit them. Running as root instead (install --user root) gains
//     nothing for discovery and loses the protection of a separate user.
//   - ProtectSystem=strict and ProtectHome=read-only make the host read-only
//     for the agent but leave it readable; ProtectHome=yes would hide the
//     home directories discovery must read.
//   - ProtectProc= and ProcSubset= stay at their defaults: invisible or pid
//     would hide the processes whose environment discovery reads.
//   - PrivateTmp= stays off: credentials left in /tmp are findings.
//   - LoadCredential= hands the fingerprint key to the agent in
//     $CREDENTIALS_DIRECTORY, readable by the agent alone, so the key file
//     can stay root's and the key never sits in the agent's environment,
//     where every process allowed to read /proc/PID/environ would see it.
//   - LimitCORE=0: a crashing plugin must not dump memory that held a secret.
//   - CPUQuota and MemoryMax are backstops behind the agent's own, tighter
//     self-limits.
const systemdUnit = `[Unit]
Description={{Description}}
Documentation=https://github.com/nhiradar/nhiradar
ConditionFileIsExecutable={{Path | cmdEscape}}
After=network-online.target
Wants=network-online.target
StartLimitIntervalSec=600
StartLimitBurst=10

[Service]
Type=simple
ExecStart={{Path | cmdEscape}}{{range Arguments}} {{. | cmd}}{{end}}
{{if UserName}}User={{UserName}}
Group={{UserName}}
{{end}}Restart=on-failure
RestartSec=15
TimeoutStopSec=45
EnvironmentFile=-/etc/nhi-agent/agent.env
LoadCredential=fingerprint-key:/etc/nhi-agent/fingerprint.key
AmbientCapabilities=CAP_DAC_READ_SEARCH CAP_SYS_PTRACE
CapabilityBoundingSet=CAP_DAC_READ_SEARCH CAP_SYS_PTRACE
NoNewPrivileges=yes
StateDirectory=nhi-agent
StateDirectoryMode=0700
ConfigurationDirectory=nhi-agent
UMask=0077
ProtectSystem=strict
ProtectHome=read-only
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
SystemCallArchitectures=native
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK
LimitCORE=0
Nice=10
IOSchedulingClass=idle
CPUQuota=25%
MemoryMax=512M
TasksMax=256

[Install]
WantedBy=multi-user.target
`

// SystemdUnit renders the unit kardianos/service would install for the
// agent at path, so that packages ship the same unit as `nhi-agent
// install` writes rather than a copy that drifts from it.
func SystemdUnit(path, configPath, user string) (string, error) {
	cfg := Config(configPath, user)
	// The template calls its fields as functions ({{Path}}, {{range
	// Arguments}}); text/template does the same with a function map.
	funcs := template.FuncMap{
		"Description": func() string { return cfg.Description },
		"Path":        func() string { return path },
		"Arguments":   func() []string { return cfg.Arguments },
		"UserName":    func() string { return cfg.UserName },
		"cmd":         func(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` },
		"cmdEscape":   func(s string) string { return strings.ReplaceAll(s, " ", `\x20`) },
	}
	t, err := template.New("unit").Funcs(funcs).Parse(systemdUnit)
	if err != nil {
		return "", fmt.Errorf("systemd unit template: %w", err)
	}
	var b strings.Builder
	if err := t.Execute(&b, nil); err != nil {
		return "", fmt.Errorf("systemd unit: %w", err)
	}
	return b.String(), nil
}
