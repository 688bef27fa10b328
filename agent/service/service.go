// Package service runs the agent as a system service through
// github.com/kardianos/service: install, uninstall, start, stop, restart and
// status on systemd (tested), launchd and the Windows service manager
// (through the same library, untested here), and run, which the service
// manager calls.
package service

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/kardianos/service"
)

// Name is the service's name (the systemd unit is nhi-agent.service).
const Name = "nhi-agent"

// DefaultUser is the dedicated account the service runs as.
const DefaultUser = "nhi-agent"

// Config returns the service definition: run the agent with configPath as
// user (empty: the service manager's default, root on Linux).
func Config(configPath, user string) *service.Config {
	return &service.Config{
		Name:        Name,
		DisplayName: "NHI Radar agent",
		Description: "NHI Radar agent: discovers non-human identities on this host and reports them to Kafka.",
		Arguments:   []string{"run", "--config", configPath},
		UserName:    user,
		Option: service.KeyValue{
			"SystemdScript": systemdUnit,
			"Restart":       "on-failure",
			"LogOutput":     false,
			// launchd: keep it running, as systemd's Restart=on-failure does.
			"KeepAlive": true,
			"RunAtLoad": true,
		},
	}
}

// program adapts a run function to kardianos/service's Start/Stop.
type program struct {
	run    func(context.Context) error
	cancel context.CancelFunc
	done   chan error
}

// Start implements service.Interface; it must not block.
func (p *program) Start(service.Service) error {
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel, p.done = cancel, make(chan error, 1)
	go func() { p.done <- p.run(ctx) }()
	return nil
}

// Stop implements service.Interface: it cancels the agent and waits for it
// to flush its spool and stop its plugins.
func (p *program) Stop(service.Service) error {
	p.cancel()
	select {
	case err := <-p.done:
		return err
	case <-time.After(40 * time.Second):
		return errors.New("agent did not stop within 40s")
	}
}

// New returns the service for cfg; run is what `nhi-agent run` does.
func New(cfg *service.Config, run func(context.Context) error) (service.Service, error) {
	s, err := service.New(&program{run: run}, cfg)
	if err != nil {
		return nil, fmt.Errorf("service: %w", err)
	}
	return s, nil
}

// Run runs the agent in the foreground, as the service manager starts it or
// in a terminal, until SIGTERM or SIGINT, or until the agent ends by itself
// (a fatal error). It returns the agent's error.
func Run(cfg *service.Config, run func(context.Context) error) error {
	ended := make(chan struct{})
	p := &program{run: func(ctx context.Context) error {
		defer close(ended)
		return run(ctx)
	}}
	c := *cfg
	c.Option = service.KeyValue{}
	for k, v := range cfg.Option {
		c.Option[k] = v
	}
	c.Option["RunWait"] = func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
		defer signal.Stop(sig)
		select {
		case <-sig:
		case <-ended:
		}
	}
	s, err := service.New(p, &c)
	if err != nil {
		return fmt.Errorf("service: %w", err)
	}
	return s.Run()
}
