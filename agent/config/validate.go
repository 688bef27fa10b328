package config

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/parser"
)

// Defaults, tighter than osquery's watchdog (200 MB, 10% CPU).
const (
	DefaultTopic              = "nhi.events"
	DefaultStateDir           = "/var/lib/nhi-agent"
	DefaultPluginDir          = "/usr/lib/nhi-agent/plugins"
	DefaultHeartbeat          = time.Minute
	DefaultSpoolBytes         = 256 << 20
	DefaultCPUPercent         = 5
	DefaultCPUWindow          = time.Minute
	DefaultReadBytesPerSecond = 8 << 20
	DefaultPluginMemory       = 100 << 20
	DefaultInterval           = 15 * time.Minute
	DefaultFullInterval       = 6 * time.Hour
	DefaultJitter             = 0.1
	DefaultTimeout            = 30 * time.Minute
	DefaultCompression        = "lz4"
	// DefaultKeyCredential is the name under which the packaged systemd
	// unit passes the fingerprint key (LoadCredential=).
	DefaultKeyCredential = "fingerprint-key"
)

func (c *Config) applyDefaults() {
	def(&c.Topic, DefaultTopic)
	def(&c.StateDir, DefaultStateDir)
	def(&c.PluginDir, DefaultPluginDir)
	def(&c.HeartbeatInterval.Duration, DefaultHeartbeat)
	def(&c.Kafka.Compression, DefaultCompression)
	def(&c.Spool.MaxBytes, DefaultSpoolBytes)
	def(&c.Limits.CPUPercent, DefaultCPUPercent)
	def(&c.Limits.CPUWindow.Duration, DefaultCPUWindow)
	def(&c.Limits.ReadBytesPerSecond, DefaultReadBytesPerSecond)
	def(&c.Limits.PluginMemoryBytes, DefaultPluginMemory)
	if c.FingerprintKey == (Secret{}) {
		c.FingerprintKey = Secret{Credential: DefaultKeyCredential, Env: "NHI_FINGERPRINT_KEY"}
	}
	for i := range c.Plugins {
		p := &c.Plugins[i]
		def(&p.Path, "nhi-plugin-"+p.Name)
		def(&p.Interval.Duration, DefaultInterval)
		def(&p.FullInterval.Duration, DefaultFullInterval)
		def(&p.Jitter, DefaultJitter)
		def(&p.Timeout.Duration, DefaultTimeout)
		if !filepath.IsAbs(p.Path) {
			p.Path = filepath.Join(c.PluginDir, p.Path)
		}
	}
}

func def[T comparable](v *T, d T) {
	var zero T
	if *v == zero {
		*v = d
	}
}

// FieldError is a validation error about one field. Path is the YAML path
// ($.kafka.sasl.mechanism); Line is 0 when the field is absent from the file.
type FieldError struct {
	Path   string
	Line   int
	Reason string
}

func (e *FieldError) Error() string {
	field := strings.TrimPrefix(e.Path, "$.")
	if e.Line > 0 {
		return fmt.Sprintf("config: line %d: %s: %s", e.Line, field, e.Reason)
	}
	return fmt.Sprintf("config: %s: %s", field, e.Reason)
}

var pluginName = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,62}$`)

func (c *Config) validate() error {
	if len(c.Brokers) == 0 {
		return &FieldError{Path: "$.brokers", Reason: "required: list at least one Kafka broker (host:port)"}
	}
	for i, b := range c.Brokers {
		if _, _, err := net.SplitHostPort(b); err != nil {
			return &FieldError{Path: fmt.Sprintf("$.brokers[%d]", i), Reason: fmt.Sprintf("%q is not host:port", b)}
		}
	}
	switch c.Kafka.Compression {
	case "none", "gzip", "snappy", "lz4", "zstd":
	default:
		return &FieldError{Path: "$.kafka.compression", Reason: fmt.Sprintf("%q: want none, gzip, snappy, lz4 or zstd", c.Kafka.Compression)}
	}
	for path, sec := range map[string]Secret{"$.fingerprint_key": c.FingerprintKey, "$.kafka.sasl.password": c.Kafka.SASL.Password} {
		if strings.ContainsAny(sec.Credential, "/\x00") || sec.Credential == "." || sec.Credential == ".." {
			return &FieldError{Path: path + ".credential", Reason: "a credential name, not a path"}
		}
	}
	if err := c.validateSecurity(); err != nil {
		return err
	}
	if err := c.validateLimits(); err != nil {
		return err
	}
	return c.validatePlugins()
}

func (c *Config) validateSecurity() error {
	t := c.Kafka.TLS
	if (t.CertFile == "") != (t.KeyFile == "") {
		return &FieldError{Path: "$.kafka.tls.cert_file", Reason: "cert_file and key_file go together (mutual TLS)"}
	}
	if !t.Enabled && (t.CAFile != "" || t.CertFile != "") {
		return &FieldError{Path: "$.kafka.tls.enabled", Reason: "files are set but TLS is not enabled"}
	}
	s := c.Kafka.SASL
	switch s.Mechanism {
	case "":
		return nil
	case "plain", "scram-sha-512":
	default:
		return &FieldError{Path: "$.kafka.sasl.mechanism", Reason: fmt.Sprintf("%q: want plain or scram-sha-512", s.Mechanism)}
	}
	if s.Username == "" {
		return &FieldError{Path: "$.kafka.sasl.username", Reason: "required with a SASL mechanism"}
	}
	if s.Password == (Secret{}) {
		return &FieldError{Path: "$.kafka.sasl.password", Reason: "required with a SASL mechanism: name a credential, an env variable or a file"}
	}
	if s.Mechanism == "plain" && !t.Enabled {
		return &FieldError{Path: "$.kafka.sasl.mechanism", Reason: "plain sends the password in clear: enable kafka.tls"}
	}
	return nil
}

func (c *Config) validateLimits() error {
	l := c.Limits
	if l.CPUPercent < 0 || l.CPUPercent > 100 {
		return &FieldError{Path: "$.limits.cpu_percent", Reason: "must be between 0 and 100"}
	}
	if l.PluginMemoryBytes < 16<<20 {
		return &FieldError{Path: "$.limits.plugin_memory_bytes", Reason: "below 16 MiB no plugin can run"}
	}
	if c.Spool.MaxBytes < 1<<20 {
		return &FieldError{Path: "$.spool.max_bytes", Reason: "must be at least 1 MiB"}
	}
	return nil
}

func (c *Config) validatePlugins() error {
	seen := map[string]bool{}
	for i, p := range c.Plugins {
		at := fmt.Sprintf("$.plugins[%d]", i)
		if !pluginName.MatchString(p.Name) {
			return &FieldError{Path: at + ".name", Reason: fmt.Sprintf("%q: lower-case letters, digits, - and _", p.Name)}
		}
		if seen[p.Name] {
			return &FieldError{Path: at + ".name", Reason: fmt.Sprintf("plugin %q is configured twice", p.Name)}
		}
		seen[p.Name] = true
		if b, err := hex.DecodeString(p.SHA256); err != nil || len(b) != 32 {
			return &FieldError{Path: at + ".sha256", Reason: "required: the executable's SHA-256 in hex (sha256sum); unpinned plugins are refused"}
		}
		if p.Jitter < 0 || p.Jitter >= 1 {
			return &FieldError{Path: at + ".jitter", Reason: "must be in [0, 1)"}
		}
		if p.FullInterval.Duration < p.Interval.Duration {
			return &FieldError{Path: at + ".full_interval", Reason: "must not be shorter than interval"}
		}
	}
	return nil
}

// locate adds the line of the offending field, or of its nearest parent
// present in the file, to a validation error.
func locate(src []byte, err error) error {
	var fe *FieldError
	if !errors.As(err, &fe) {
		return err
	}
	f, perr := parser.ParseBytes(src, 0)
	if perr != nil {
		return err
	}
	for p := fe.Path; p != "$" && p != ""; p = parent(p) {
		yp, perr := yaml.PathString(p)
		if perr != nil {
			continue
		}
		if n, ferr := yp.FilterFile(f); ferr == nil && n != nil {
			fe.Line = n.GetToken().Position.Line
			break
		}
	}
	return fe
}

func parent(p string) string {
	if i := strings.LastIndexAny(p, ".["); i > 0 {
		return p[:i]
	}
	return "$"
}
