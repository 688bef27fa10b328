package main

import (
	"fmt"

	"github.com/nhiradar/nhiradar/agent/config"
	"github.com/nhiradar/nhiradar/agent/pluginhost"
)

type configCmd struct {
	Check configCheckCmd `cmd:"" help:"Validate a configuration file and the plugins it pins."`
}

type configCheckCmd struct {
	File string `arg:"" help:"Configuration file." type:"path"`
}

// Run validates the file, then checks each plugin executable against its
// pin, so that a bad deployment is caught before the service starts.
func (c *configCheckCmd) Run() error {
	cfg, err := config.Load(c.File)
	if err != nil {
		return err
	}
	for i, p := range cfg.Plugins {
		sum, err := pluginhost.FileSHA256(p.Path)
		if err != nil {
			return fmt.Errorf("plugins[%d] (%s): %w", i, p.Name, err)
		}
		if sum != p.SHA256 {
			return fmt.Errorf("plugins[%d] (%s): %s has sha256 %s, the configuration pins %s", i, p.Name, p.Path, sum, p.SHA256)
		}
	}
	if _, err := cfg.FingerprintKey.Read(); err != nil {
		fmt.Printf("warning: fingerprint key (%s): %v\n", cfg.FingerprintKey.Where(), err)
	}
	fmt.Printf("%s: ok (%d brokers, %d plugins)\n", c.File, len(cfg.Brokers), len(cfg.Plugins))
	return nil
}

type pluginCmd struct {
	SHA256 pluginSumCmd `cmd:"" name:"sha256" help:"Print the SHA-256 to pin a plugin executable with."`
}

type pluginSumCmd struct {
	File string `arg:"" type:"existingfile"`
}

func (c *pluginSumCmd) Run() error {
	sum, err := pluginhost.FileSHA256(c.File)
	if err != nil {
		return err
	}
	fmt.Println(sum)
	return nil
}
