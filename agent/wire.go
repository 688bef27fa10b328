package agent

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/nhiradar/nhiradar/agent/config"
	"github.com/nhiradar/nhiradar/agent/pluginhost"
	"github.com/nhiradar/nhiradar/agent/publish"
	"github.com/nhiradar/nhiradar/agent/schedule"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// publisherConfig turns the configuration into the publisher's, reading the
// SASL password from where the configuration says.
func publisherConfig(cfg *config.Config) (publish.Config, error) {
	codec, err := publish.Codec(cfg.Kafka.Compression)
	if err != nil {
		return publish.Config{}, err
	}
	pc := publish.Config{Brokers: cfg.Brokers, Topic: cfg.Topic, Compression: codec, BatchSize: cfg.Kafka.BatchSize,
		BatchTimeout: cfg.Kafka.BatchTimeout.Duration, WriteTimeout: cfg.Kafka.WriteTimeout.Duration, MaxAttempts: 3}
	if t := cfg.Kafka.TLS; t.Enabled {
		pc.TLS, err = publish.TLSConfig(publish.TLSOptions{CAFile: t.CAFile, CertFile: t.CertFile, KeyFile: t.KeyFile,
			ServerName: t.ServerName, InsecureSkipVerify: t.InsecureSkipVerify})
		if err != nil {
			return pc, err
		}
	}
	if s := cfg.Kafka.SASL; s.Mechanism != "" {
		pw, err := s.Password.Read()
		if err != nil {
			return pc, fmt.Errorf("kafka sasl password (%s): %w", s.Password.Where(), err)
		}
		if pc.SASL, err = publish.SASLMechanism(s.Mechanism, s.Username, pw); err != nil {
			return pc, err
		}
	}
	return pc, nil
}

// hostPlugins creates the plugin processes' handles and their schedule.
func hostPlugins(cfg *config.Config, log *slog.Logger) ([]*pluginhost.Plugin, []schedule.Entry, error) {
	var plugins []*pluginhost.Plugin
	var entries []schedule.Entry
	for _, pc := range cfg.Plugins {
		state := filepath.Join(cfg.StateDir, "plugins", pc.Name)
		if err := os.MkdirAll(state, 0o700); err != nil {
			return nil, nil, fmt.Errorf("plugin %s state dir: %w", pc.Name, err)
		}
		p := pluginhost.New(pluginhost.Spec{Name: pc.Name, Path: pc.Path, SHA256: pc.SHA256,
			Timeout: pc.Timeout.Duration, MemoryLimit: cfg.Limits.PluginMemoryBytes, KeepRunning: pc.KeepRunning}, pluginhost.Options{Log: log})
		plugins = append(plugins, p)
		entries = append(entries, schedule.Entry{Plugin: p, Interval: pc.Interval.Duration, FullInterval: pc.FullInterval.Duration,
			Jitter: pc.Jitter, Options: pc.Options, StateDir: state})
	}
	return plugins, entries, nil
}

func pids(ps []*pluginhost.Plugin) []int {
	var out []int
	for _, p := range ps {
		if pid := p.PID(); pid > 0 {
			out = append(out, pid)
		}
	}
	return out
}

func statuses(ps []*pluginhost.Plugin) []event.PluginStatus {
	out := make([]event.PluginStatus, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.Status())
	}
	return out
}
