package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/nhiradar/nhiradar/analytics/policy"
	"github.com/nhiradar/nhiradar/collector/governance"
	"github.com/nhiradar/nhiradar/collector/ticket"
)

type configCmd struct {
	Check configCheckCmd `cmd:"" help:"Check a configuration file as the collector's start would (flag values, the environment, the policy, ticketing settings and secret files), without connecting to Kafka or ClickHouse."`
}

type configCheckCmd struct {
	File string `arg:"" type:"existingfile" help:"The collector's YAML configuration."`
}

func (c *configCheckCmd) Run() error {
	if err := checkConfig(c.File, os.Stdout); err != nil {
		return err
	}
	return nil
}

// checkConfig parses the file through the real command line, as
// `nhi-collector --config FILE run` would, then loads what run loads
// before it connects.
func checkConfig(path string, out io.Writer) error {
	var c cli
	k, err := newParser(&c)
	if err != nil {
		return err
	}
	if _, err := k.Parse([]string{"--config", path, "run"}); err != nil {
		return err
	}
	if err := c.Run.check(); err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "%s: ok (brokers %v, topic %s, clickhouse %v, database %s)\n",
		path, c.Run.Brokers, c.Run.Topic, c.Run.ClickHouse, c.Run.Database)
	return err
}

// check loads the files and secrets run needs, with every problem at once.
func (c *runCmd) check() error {
	var errs []error
	if _, err := c.password(); err != nil {
		errs = append(errs, err)
	}
	if c.Policy != "" {
		if _, err := policy.Load(c.Policy); err != nil {
			errs = append(errs, fmt.Errorf("policy %s: %w", c.Policy, err))
		}
	}
	if _, err := governance.LoadSettings(c.Ticketing); err != nil {
		errs = append(errs, err)
	}
	if c.HookSecretFile != "" {
		if _, err := (ticket.SecretRef{File: c.HookSecretFile}).Load(); err != nil {
			errs = append(errs, fmt.Errorf("hook secret: %w", err))
		}
	}
	if _, err := c.clock(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
