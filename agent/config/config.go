// Package config reads the agent's YAML configuration file: strictly (an
// unknown key is an error), with defaults that let a minimal file name only
// the brokers, and with errors that name the field and its line. Secrets
// (SASL password, fingerprint key) are never in the file itself: it names an
// environment variable or a file that holds them.
package config

import (
	"errors"
	"fmt"

	"github.com/nhiradar/nhiradar/internal/yamlconfig"
)

// DefaultPath is where the agent looks for its configuration.
const DefaultPath = "/etc/nhi-agent/agent.yaml"

// Config is the agent configuration.
type Config struct {
	// Brokers lists the Kafka bootstrap brokers (host:port). Required.
	Brokers []string `yaml:"brokers"`
	// Topic receives every event.
	Topic string `yaml:"topic"`
	// StateDir holds the agent id, the spool and plugin state.
	StateDir string `yaml:"state_dir"`
	// PluginDir holds the plugin executables.
	PluginDir string `yaml:"plugin_dir"`
	// Host overrides the host name reported in events.
	Host string `yaml:"host"`
	// Root is the directory standing for the host's / (a mounted image or a
	// test tree); empty scans the live host.
	Root string `yaml:"root"`
	// FingerprintKey says where the organisation fingerprint key comes from.
	FingerprintKey Secret `yaml:"fingerprint_key"`
	// HeartbeatInterval is how often the agent reports its health.
	HeartbeatInterval Duration `yaml:"heartbeat_interval"`
	Kafka             Kafka    `yaml:"kafka"`
	Spool             Spool    `yaml:"spool"`
	Limits            Limits   `yaml:"limits"`
	Plugins           []Plugin `yaml:"plugins"`
}

// Kafka holds the publisher's settings.
type Kafka struct {
	// Compression is none, gzip, snappy, lz4 or zstd.
	Compression  string   `yaml:"compression"`
	BatchSize    int      `yaml:"batch_size"`
	BatchTimeout Duration `yaml:"batch_timeout"`
	WriteTimeout Duration `yaml:"write_timeout"`
	TLS          TLS      `yaml:"tls"`
	SASL         SASL     `yaml:"sasl"`
}

// TLS configures TLS and, with a client certificate, mutual TLS.
type TLS struct {
	Enabled            bool   `yaml:"enabled"`
	CAFile             string `yaml:"ca_file"`
	CertFile           string `yaml:"cert_file"`
	KeyFile            string `yaml:"key_file"`
	ServerName         string `yaml:"server_name"`
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify"`
}

// SASL configures SASL authentication.
type SASL struct {
	// Mechanism is empty (no SASL), plain or scram-sha-512.
	Mechanism string `yaml:"mechanism"`
	Username  string `yaml:"username"`
	Password  Secret `yaml:"password"`
}

// Secret names where a secret is read from: a credential of the service
// manager, a file or an environment variable. The value itself never sits
// in the configuration.
type Secret struct {
	Env  string `yaml:"env"`
	File string `yaml:"file"`
	// Credential names a credential the service manager passes in
	// $CREDENTIALS_DIRECTORY (systemd LoadCredential=); when the agent runs
	// with one of that name, it wins over File and Env.
	Credential string `yaml:"credential"`
}

// Spool bounds the on-disk queue.
type Spool struct {
	MaxBytes int64 `yaml:"max_bytes"`
}

// Limits are the agent's self-limits.
type Limits struct {
	// CPUPercent is the budget for the agent and its plugins together, in
	// percent of one core averaged over CPUWindow.
	CPUPercent float64  `yaml:"cpu_percent"`
	CPUWindow  Duration `yaml:"cpu_window"`
	// ReadBytesPerSecond is the I/O read budget of the plugins, averaged
	// over CPUWindow (0: no I/O budget).
	ReadBytesPerSecond int64 `yaml:"read_bytes_per_second"`
	// PluginMemoryBytes is the resident memory above which a plugin process
	// is killed and restarted.
	PluginMemoryBytes int64 `yaml:"plugin_memory_bytes"`
}

// Plugin configures one plugin executable.
type Plugin struct {
	Name string `yaml:"name"`
	// Path is the executable, relative to PluginDir unless absolute.
	Path string `yaml:"path"`
	// SHA256 pins the executable; a binary whose checksum differs is refused.
	SHA256 string `yaml:"sha256"`
	// Interval between incremental scans; FullInterval between full scans.
	Interval     Duration `yaml:"interval"`
	FullInterval Duration `yaml:"full_interval"`
	// Jitter is the fraction (0..1) by which intervals vary, so that a fleet
	// does not scan in step.
	Jitter float64 `yaml:"jitter"`
	// KeepRunning keeps the plugin process between scans (default: it ends
	// after each scan, so that an idle host carries the agent alone).
	KeepRunning bool `yaml:"keep_running"`
	// Timeout bounds one scan.
	Timeout Duration          `yaml:"timeout"`
	Options map[string]string `yaml:"options"`
}

// Load reads, defaults and validates the file at path. Errors start with
// path and the line.
func Load(path string) (*Config, error) {
	b, err := ReadRegularFile(path, MaxFileBytes)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	c, err := parse(path, b)
	var ye *yamlconfig.Error
	if err != nil && !errors.As(err, &ye) {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, err
}

// Parse decodes YAML strictly, applies defaults and validates. Errors name
// the field and its line.
func Parse(b []byte) (*Config, error) { return parse("config", b) }

func parse(name string, b []byte) (*Config, error) {
	var c Config
	if _, err := yamlconfig.Decode(name, b, &c); err != nil {
		return nil, err
	}
	c.applyDefaults()
	if err := c.validate(); err != nil {
		return nil, locate(b, err)
	}
	return &c, nil
}
