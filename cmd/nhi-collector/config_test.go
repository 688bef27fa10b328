package main

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/alecthomas/kong"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestConfigErrorsGolden: each kind of mistake in a configuration file is
// refused by `config check`, with the file, the line and the key, as the
// golden file says; an inline secret's value never shows.
func TestConfigErrorsGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/config/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, path := range files {
		if filepath.Base(path) == "full.yaml" {
			continue
		}
		n++
		t.Run(filepath.Base(path), func(t *testing.T) {
			err := checkConfig(path, io.Discard)
			if err == nil {
				t.Fatal("accepted")
			}
			// --config makes the path absolute: the golden files hold it
			// relative to the package.
			got := strings.ReplaceAll(err.Error(), wd+string(filepath.Separator), "") + "\n"
			if strings.Contains(got, "not-a-real") {
				t.Fatalf("the inline secret is in the error: %s", got)
			}
			if !strings.HasPrefix(got, path+":") {
				t.Errorf("the error does not start with the file and line: %s", got)
			}
			golden := strings.TrimSuffix(path, ".yaml") + ".err"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if got != string(want) {
				t.Errorf("error\n%s\nwant (%s)\n%s", got, golden, want)
			}
		})
	}
	if n < 10 {
		t.Fatalf("only %d bad files", n)
	}
}

// parseRun parses args as the collector's command line and returns run's
// settings.
func parseRun(t *testing.T, args ...string) (*cli, *runCmd) {
	t.Helper()
	var c cli
	k, err := newParser(&c)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Parse(args); err != nil {
		t.Fatal(err)
	}
	return &c, &c.Run
}

// withoutNHIEnv unsets the NHI_ variables for the test: the environment
// is a source of settings too (make test-unit points NHI_CLICKHOUSE_ADDR and
// NHI_KAFKA_BROKERS at nothing), and these tests are about the file, the
// flags and the defaults.
func withoutNHIEnv(t *testing.T) {
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "NHI_") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
}

// TestConfigFileSetsEveryFlag: every key of a full file reaches its flag,
// and relative paths are relative to the file's folder.
func TestConfigFileSetsEveryFlag(t *testing.T) {
	withoutNHIEnv(t)
	c, r := parseRun(t, "--config", "testdata/config/full.yaml", "run")
	dir, _ := filepath.Abs("testdata/config")
	got := map[string]any{
		"log_level": c.LogLevel.String(), "brokers": r.Brokers, "topic": r.Topic, "group": r.Group, "dlq_topic": r.DLQTopic,
		"partitions": r.Partitions, "session_timeout": r.SessionTimeout, "addresses": r.ClickHouse, "database": r.Database,
		"user": r.User, "password_file": r.PasswordFile, "cluster": r.Cluster, "retention_days": r.Retention,
		"batch_rows": r.BatchRows, "batch_wait": r.BatchWait, "batch_bytes": r.BatchBytes, "dlq_file": r.DLQFile,
		"dlq_file_max_bytes": r.DLQFileMax, "stall_after": r.StallAfter, "policy": r.Policy, "analyze_every": r.AnalyzeEvery,
		"analyze_after_scans": r.AnalyzeAfterScans, "compact_every": r.CompactEvery, "settings": r.Ticketing, "outbox": r.Outbox,
		"hook_secret_file": r.HookSecretFile, "listen": r.Listen, "state_dir": r.StateDir, "memory_limit": r.MemoryLimit,
	}
	want := map[string]any{
		"log_level": "DEBUG", "brokers": []string{"k1:9092", "k2:9092"}, "topic": "t.events", "group": "g1", "dlq_topic": "t.dead",
		"partitions": 12, "session_timeout": 20 * time.Second, "addresses": []string{"ch1:9000", "ch2:9000"}, "database": "radar",
		"user": "nhi_collector", "password_file": filepath.Join(dir, "clickhouse.password"), "cluster": "c1", "retention_days": 400,
		"batch_rows": 1000, "batch_wait": 3 * time.Second, "batch_bytes": 1 << 20, "dlq_file": "/var/lib/nhi-collector/dlq.jsonl",
		"dlq_file_max_bytes": int64(2 << 20), "stall_after": 5 * time.Minute,
		"policy":        filepath.Join(dir, "../../../../packaging/policy/policy.yaml"),
		"analyze_every": time.Hour, "analyze_after_scans": 2 * time.Minute, "compact_every": 12 * time.Hour,
		"settings": filepath.Join(dir, "../../../../collector/ticket/rt/sample.yaml"),
		"outbox":   "/var/lib/nhi-collector/outbox.db", "hook_secret_file": filepath.Join(dir, "hook.secret"),
		"listen": "127.0.0.1:9999", "state_dir": filepath.Join(dir, "state"), "memory_limit": int64(200 << 20),
	}
	if len(got) != len(fileKeys(t)) {
		t.Fatalf("the test compares %d keys, the file format has %d", len(got), len(fileKeys(t)))
	}
	for k, w := range want {
		if !reflect.DeepEqual(got[k], w) {
			t.Errorf("%s = %#v, want %#v", k, got[k], w)
		}
	}
	if p, err := r.password(); err != nil || p != "ch-password-value" {
		t.Errorf("password from password_file: %v", err)
	}
	if err := checkConfig("testdata/config/full.yaml", io.Discard); err != nil {
		t.Errorf("config check: %v", err)
	}
}

// TestConfigPrecedence: the command line wins over the environment, which
// wins over the file, which wins over the defaults.
func TestConfigPrecedence(t *testing.T) {
	withoutNHIEnv(t)
	cfg := filepath.Join(t.TempDir(), "collector.yaml")
	if err := os.WriteFile(cfg, []byte("kafka:\n  topic: from-file\n  group: from-file\n  partitions: 9\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("NHI_KAFKA_GROUP", "from-env")
	t.Setenv("NHI_KAFKA_TOPIC", "from-env")
	_, r := parseRun(t, "--config", cfg, "run", "--topic", "from-cli")
	if r.Topic != "from-cli" || r.Group != "from-env" || r.Partitions != 9 || r.BatchRows != 50000 {
		t.Fatalf("topic %q group %q partitions %d batch rows %d", r.Topic, r.Group, r.Partitions, r.BatchRows)
	}
	t.Setenv("NHI_COLLECTOR_CONFIG", cfg)
	if _, r := parseRun(t, "run"); r.Partitions != 9 {
		t.Fatalf("NHI_COLLECTOR_CONFIG not read: partitions %d", r.Partitions)
	}
}

// TestDefaultsWithoutFile: without a file the flags' defaults hold.
func TestDefaultsWithoutFile(t *testing.T) {
	withoutNHIEnv(t)
	_, r := parseRun(t, "run")
	if r.Topic != "nhi.events" || r.BatchRows != 50000 || r.AnalyzeEvery != 15*time.Minute || r.Listen != "127.0.0.1:9464" ||
		!reflect.DeepEqual(r.Brokers, []string{"127.0.0.1:19092"}) {
		t.Fatalf("defaults changed: %+v", r)
	}
}

// fileKeys lists the dotted keys of the configuration file and the flag
// each sets.
func fileKeys(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	var walk func(reflect.Type, string)
	walk = func(rt reflect.Type, prefix string) {
		for i := range rt.NumField() {
			f := rt.Field(i)
			key := prefix + f.Tag.Get("yaml")
			if fl := f.Tag.Get("flag"); fl != "" {
				out[key] = fl
				continue
			}
			walk(f.Type, key+".")
		}
	}
	walk(reflect.TypeOf(fileConfig{}), "")
	return out
}

// TestConfigKeysCoverFlags: every flag of `nhi-collector run` (test-only
// hidden flags aside) has one key in the file, and every key sets a flag.
func TestConfigKeysCoverFlags(t *testing.T) {
	var c cli
	k, err := kong.New(&c, kong.Name("nhi-collector"))
	if err != nil {
		t.Fatal(err)
	}
	flags := map[string]bool{}
	for _, n := range k.Model.Children {
		if n.Name != "run" {
			continue
		}
		for _, group := range n.AllFlags(true) {
			for _, f := range group {
				switch {
				case f.Hidden, f.Name == "help", f.Name == "config", f.Name == "version":
				default:
					flags[f.Name] = true
				}
			}
		}
	}
	keyOf := map[string]string{}
	for key, fl := range fileKeys(t) {
		if !flags[fl] {
			t.Errorf("key %s sets --%s, which run does not have", key, fl)
		}
		if other, dup := keyOf[fl]; dup {
			t.Errorf("keys %s and %s both set --%s", key, other, fl)
		}
		keyOf[fl] = key
	}
	for fl := range flags {
		if _, ok := keyOf[fl]; !ok {
			t.Errorf("--%s has no key in the configuration file", fl)
		}
	}
	if len(flags) < 25 {
		t.Fatalf("only %d flags found: the walk is broken", len(flags))
	}
}

// TestPackagedConfig: the collector.yaml the package installs passes
// `config check` and shows every key, set or commented out.
func TestPackagedConfig(t *testing.T) {
	const path = "../../packaging/nfpm/assets/collector.yaml"
	if err := checkConfig(path, io.Discard); err != nil {
		t.Fatalf("config check: %v", err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for key := range fileKeys(t) {
		leaf := key[strings.LastIndex(key, ".")+1:]
		if !strings.Contains(string(b), " "+leaf+":") && !strings.Contains(string(b), "\n"+leaf+":") {
			t.Errorf("collector.yaml does not show %s", key)
		}
	}
	_, r := parseRun(t, "--config", path, "run")
	if r.DLQFile != "/var/lib/nhi-collector/dlq.jsonl" || r.User != "nhi_collector" {
		t.Errorf("packaged values not read: dlq file %q, user %q", r.DLQFile, r.User)
	}
}
