package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestMinimalFileGetsDefaults(t *testing.T) {
	c, err := Parse([]byte("brokers: [kafka1:9092]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Topic != DefaultTopic || c.StateDir != DefaultStateDir || c.HeartbeatInterval.Duration != time.Minute ||
		c.Kafka.Compression != "lz4" || c.Limits.CPUPercent != 5 || c.Spool.MaxBytes != DefaultSpoolBytes ||
		c.FingerprintKey.Env != "NHI_FINGERPRINT_KEY" {
		t.Fatalf("defaults not applied: %+v", c)
	}
}

func TestPluginDefaultsAndPath(t *testing.T) {
	src := "brokers: [k:9092]\nplugin_dir: /opt/p\nplugins:\n  - name: credfiles\n    sha256: " + strings.Repeat("ab", 32) + "\n    interval: 5m\n"
	c, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	p := c.Plugins[0]
	if p.Path != "/opt/p/nhi-plugin-credfiles" || p.Interval.Duration != 5*time.Minute || p.FullInterval.Duration != DefaultFullInterval {
		t.Fatalf("plugin = %+v", p)
	}
}

func TestErrorsNameFieldAndLine(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"unknown key", "brokers: [k:9092]\nkafka:\n  compresion: lz4\n", "config:3: kafka.compresion: unknown key (known: compression,"},
		{"bad enum", "brokers: [k:9092]\nkafka:\n  compression: brotli\n", "line 3: kafka.compression"},
		{"no brokers", "topic: x\n", "brokers: required"},
		{"bad broker", "brokers:\n  - k:9092\n  - nohost\n", "line 3: brokers[1]"},
		{"bad type", "brokers: [k:9092]\nheartbeat_interval: soon\n", "config:2: heartbeat_interval: \"soon\" is not a duration"},
		{"unpinned plugin", "brokers: [k:9092]\nplugins:\n  - name: x\n    path: /bin/x\n", "line 3: plugins[0].sha256: required"},
		{"sasl without user", "brokers: [k:9092]\nkafka:\n  tls: {enabled: true}\n  sasl:\n    mechanism: scram-sha-512\n", "line 5: kafka.sasl.username"},
		{"credential as a path", "brokers: [k:9092]\nfingerprint_key:\n  credential: ../../etc/shadow\n", "line 3: fingerprint_key.credential: a credential name, not a path"},
		{"plain without tls", "brokers: [k:9092]\nkafka:\n  sasl:\n    mechanism: plain\n    username: u\n    password: {env: P}\n", "line 4: kafka.sasl.mechanism: plain sends"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.src))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestSecretFromEnvAndFile(t *testing.T) {
	t.Setenv("NHI_TEST_SECRET", "from-env")
	if b, err := (Secret{Env: "NHI_TEST_SECRET"}).Read(); err != nil || string(b) != "from-env" {
		t.Fatalf("env: %q, %v", b, err)
	}
	f := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(f, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, err := (Secret{File: f, Env: "NHI_TEST_SECRET"}).Read(); err != nil || string(b) != "from-file" {
		t.Fatalf("file: %q, %v", b, err)
	}
	_, err := (Secret{Env: "NHI_TEST_UNSET_SECRET"}).Read()
	if err == nil || !strings.Contains(err.Error(), "NHI_TEST_UNSET_SECRET") {
		t.Fatalf("unset: %v", err)
	}
}

// TestSecretFromCredential: under a service manager that passes the
// credential, it wins over the file and the environment; without one, or
// when that credential is not passed, the file and the variable serve.
func TestSecretFromCredential(t *testing.T) {
	t.Setenv("NHI_TEST_SECRET", "from-env")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "fingerprint-key"), []byte("from-credential\n"), 0o400); err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(f, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := Secret{Credential: "fingerprint-key", File: f, Env: "NHI_TEST_SECRET"}
	if b, err := s.Read(); err != nil || string(b) != "from-file" {
		t.Fatalf("no credentials directory: %q, %v", b, err)
	}
	t.Setenv(CredentialsDirEnv, dir)
	if b, err := s.Read(); err != nil || string(b) != "from-credential" {
		t.Fatalf("credential: %q, %v", b, err)
	}
	if w := s.Where(); !strings.Contains(w, filepath.Join(dir, "fingerprint-key")) || !strings.Contains(w, f) {
		t.Errorf("where = %q, want the credential then the file", w)
	}
	other := Secret{Credential: "other", Env: "NHI_TEST_SECRET"}
	if b, err := other.Read(); err != nil || string(b) != "from-env" {
		t.Fatalf("credential not passed: %q, %v", b, err)
	}
	c, err := Parse([]byte("brokers: [k:9092]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if b, err := c.FingerprintKey.Read(); err != nil || string(b) != "from-credential" {
		t.Fatalf("default fingerprint key under systemd: %q, %v", b, err)
	}
}

func TestAgentIDPersists(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	a, err := AgentID(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := AgentID(dir, nil)
	if err != nil || a != b || len(a) != 32 {
		t.Fatalf("ids %q, %q, %v", a, b, err)
	}
	fi, err := os.Stat(filepath.Join(dir, "agent-id"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("agent-id mode %v, %v", fi.Mode(), err)
	}
}
