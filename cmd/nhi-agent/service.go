package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime/debug"

	kservice "github.com/kardianos/service"

	"github.com/nhiradar/nhiradar/agent"
	"github.com/nhiradar/nhiradar/agent/config"
	"github.com/nhiradar/nhiradar/agent/service"
	"github.com/nhiradar/nhiradar/internal/buildinfo"
)

type runCmd struct {
	Config string `help:"Configuration file." default:"${config_path}" env:"NHI_AGENT_CONFIG" type:"path"`
	// A flag as well as the configuration's root: a DaemonSet mounts the
	// host at /host and says so in its args, beside a shared ConfigMap.
	Root string `help:"Directory standing for the host's / (overrides the configuration's root), e.g. /host in a container." type:"path"`
}

// Run runs the agent in the foreground: what the service manager starts.
func (c *runCmd) Run(log *slog.Logger) error {
	cfg, err := config.Load(c.Config)
	if err != nil {
		return err
	}
	if c.Root != "" {
		cfg.Root = c.Root
	}
	// A long-running agent on someone else's host: collect garbage more
	// often rather than hold memory (GOGC and GOMEMLIMIT still override).
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(50)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(32 << 20)
	}
	return service.Run(service.Config(c.Config, ""), func(ctx context.Context) error {
		return agent.Run(ctx, cfg, buildinfo.Version, log)
	})
}

type installCmd struct {
	Config string `help:"Configuration file the service will use." default:"${config_path}" type:"path"`
	User   string `help:"Account the service runs as; created as a system account if missing. 'root' runs it as root." default:"${service_user}"`
}

// Run checks the configuration, creates the service account and installs
// the service.
func (c *installCmd) Run(log *slog.Logger) error {
	abs, err := filepath.Abs(c.Config)
	if err != nil {
		return err
	}
	if _, err := config.Load(abs); err != nil {
		return fmt.Errorf("not installing with an invalid configuration: %w", err)
	}
	u := c.User
	if u == "root" {
		u = ""
	}
	if u != "" {
		if err := ensureUser(u, log); err != nil {
			return err
		}
	}
	s, err := service.New(service.Config(abs, u), nil)
	if err != nil {
		return err
	}
	if err := s.Install(); err != nil {
		return fmt.Errorf("install: %w", err)
	}
	log.Info("service installed", "system", kservice.ChosenSystem().String(), "config", abs, "user", c.User)
	return nil
}

// ensureUser creates a system account without a login shell or home.
func ensureUser(name string, log *slog.Logger) error {
	if _, err := user.Lookup(name); err == nil {
		return nil
	}
	out, err := exec.Command("useradd", "--system", "--no-create-home", "--home-dir", "/var/lib/nhi-agent",
		"--shell", "/usr/sbin/nologin", "--comment", "NHI Radar agent", name).CombinedOutput()
	if err != nil {
		return fmt.Errorf("create service account %s: %w: %s", name, err, out)
	}
	log.Info("service account created", "user", name)
	return nil
}

// controlCmd is uninstall, start, stop, restart and status.
type controlCmd struct {
	action string
}

func (c *controlCmd) Run(log *slog.Logger) error {
	s, err := service.New(service.Config(config.DefaultPath, ""), nil)
	if err != nil {
		return err
	}
	if c.action == "status" {
		st, err := s.Status()
		if err != nil {
			return fmt.Errorf("status: %w", err)
		}
		fmt.Println(map[kservice.Status]string{kservice.StatusRunning: "running", kservice.StatusStopped: "stopped"}[st])
		return nil
	}
	if err := kservice.Control(s, c.action); err != nil {
		return fmt.Errorf("%s: %w", c.action, err)
	}
	log.Info("service "+c.action+" done", "system", kservice.ChosenSystem().String())
	return nil
}

type uninstallCmd struct{ controlCmd }
type startCmd struct{ controlCmd }
type stopCmd struct{ controlCmd }
type restartCmd struct{ controlCmd }
type statusCmd struct{ controlCmd }

func (c *uninstallCmd) Run(log *slog.Logger) error {
	c.action = "uninstall"
	return c.controlCmd.Run(log)
}
func (c *startCmd) Run(log *slog.Logger) error   { c.action = "start"; return c.controlCmd.Run(log) }
func (c *stopCmd) Run(log *slog.Logger) error    { c.action = "stop"; return c.controlCmd.Run(log) }
func (c *restartCmd) Run(log *slog.Logger) error { c.action = "restart"; return c.controlCmd.Run(log) }
func (c *statusCmd) Run(log *slog.Logger) error  { c.action = "status"; return c.controlCmd.Run(log) }
