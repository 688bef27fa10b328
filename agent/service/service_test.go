package service

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kardianos/service"

	"github.com/nhiradar/nhiradar/agent/config"
)

// installUnit has kardianos/service's systemd implementation write the unit
// as a user service under a temporary HOME (systemd is not PID 1 on the build
// machines, and the test must not touch /etc): the same template and
// rendering as a system install, into a file the test can read.
func installUnit(t *testing.T, user string) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	var systemd service.System
	for _, s := range service.AvailableSystems() {
		if s.String() == "linux-systemd" {
			systemd = s
		}
	}
	if systemd == nil {
		t.Fatal("kardianos/service offers no linux-systemd system")
	}
	cfg := Config("/etc/nhi-agent/agent.yaml", user)
	cfg.Executable = "/usr/bin/nhi-agent"
	cfg.Option["UserService"] = true
	s, err := systemd.New(&program{}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	// Install writes the unit, then asks systemctl to enable it, which fails
	// without a running systemd; the unit is what this test reads.
	_ = s.Install()
	b, err := os.ReadFile(filepath.Join(home, ".config/systemd/user/nhi-agent.service"))
	if err != nil {
		t.Fatalf("unit not written: %v", err)
	}
	return string(b)
}

func TestSystemdUnitContent(t *testing.T) {
	unit := installUnit(t, DefaultUser)
	for _, want := range []string{
		`ExecStart=/usr/bin/nhi-agent "run" "--config" "/etc/nhi-agent/agent.yaml"` + "\n",
		"User=nhi-agent\n",
		"AmbientCapabilities=CAP_DAC_READ_SEARCH CAP_SYS_PTRACE\n",
		"CapabilityBoundingSet=CAP_DAC_READ_SEARCH CAP_SYS_PTRACE\n",
		"Restart=on-failure\n",
		"NoNewPrivileges=yes\n",
		"ProtectSystem=strict\n",
		"ProtectHome=read-only\n",
		"StateDirectory=nhi-agent\n",
		"LimitCORE=0\n",
		// The name the agent's configuration looks for by default.
		"LoadCredential=" + config.DefaultKeyCredential + ":/etc/nhi-agent/fingerprint.key\n",
		"WantedBy=multi-user.target\n",
	} {
		if !strings.Contains(unit, want) {
			t.Errorf("unit lacks %q", want)
		}
	}
	// Directives that would break discovery.
	for _, bad := range []string{"ProtectHome=yes", "ProtectHome=tmpfs", "ProtectProc=", "ProcSubset=", "PrivateTmp=yes", "{{"} {
		if strings.Contains(unit, bad) {
			t.Errorf("unit contains %q", bad)
		}
	}
	if t.Failed() {
		t.Logf("unit:\n%s", unit)
	}
}

func TestSystemdUnitAsRoot(t *testing.T) {
	unit := installUnit(t, "")
	if strings.Contains(unit, "User=") {
		t.Fatalf("unit for root names a user:\n%s", unit)
	}
}

// TestRunEndsWhenAgentEnds checks the run path without a signal: an agent
// that stops by itself (a fatal error) ends Run with its error.
func TestRunEndsWhenAgentEnds(t *testing.T) {
	boom := errors.New("fatal: no brokers reachable")
	err := Run(Config("/x.yaml", ""), func(context.Context) error { return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("Run = %v", err)
	}
}

func TestSystemdUnitRendersTheInstalledUnit(t *testing.T) {
	unit, err := SystemdUnit("/usr/bin/nhi-agent", "/etc/nhi-agent/agent.yaml", DefaultUser)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"ExecStart=/usr/bin/nhi-agent \"run\" \"--config\" \"/etc/nhi-agent/agent.yaml\"\n",
		"ConditionFileIsExecutable=/usr/bin/nhi-agent\n", "User=nhi-agent\nGroup=nhi-agent\n",
		"Description=NHI Radar agent: discovers",
	} {
		if !strings.Contains(unit, want) {
			t.Errorf("unit lacks %q:\n%s", want, unit)
		}
	}
	if strings.Contains(unit, "{{") {
		t.Errorf("unit holds template syntax:\n%s", unit)
	}
}
