package main

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"

	"github.com/alecthomas/kong"

	"github.com/nhiradar/nhiradar/internal/yamlconfig"
)

// fileConfig is the collector's YAML configuration. Each leaf sets the flag
// its flag tag names, so that a file and the command line mean the same and
// a flag given on the command line wins. A nil leaf is absent from the file.
// Paths (path tag) are relative to the file's folder, and path:"file" must
// name an existing file. Secrets are never inline: the file names the
// files that hold them.
type fileConfig struct {
	LogLevel *string `yaml:"log_level" flag:"log-level"`
	StateDir *string `yaml:"state_dir" flag:"state-dir" path:"dir"`
	// MemoryLimit is the soft limit in bytes (0: from the batch size; -1: none).
	MemoryLimit *int64 `yaml:"memory_limit" flag:"memory-limit"`
	Kafka       struct {
		Brokers        []string             `yaml:"brokers" flag:"brokers"`
		Topic          *string              `yaml:"topic" flag:"topic"`
		Group          *string              `yaml:"group" flag:"group"`
		DLQTopic       *string              `yaml:"dlq_topic" flag:"dlq-topic"`
		Partitions     *int                 `yaml:"partitions" flag:"partitions"`
		SessionTimeout *yamlconfig.Duration `yaml:"session_timeout" flag:"session-timeout"`
	} `yaml:"kafka"`
	ClickHouse struct {
		Addresses     []string `yaml:"addresses" flag:"clickhouse"`
		Database      *string  `yaml:"database" flag:"database"`
		User          *string  `yaml:"user" flag:"user"`
		PasswordFile  *string  `yaml:"password_file" flag:"clickhouse-password-file" path:"file"`
		Cluster       *string  `yaml:"cluster" flag:"cluster"`
		RetentionDays *int     `yaml:"retention_days" flag:"retention-days"`
	} `yaml:"clickhouse"`
	Ingest struct {
		BatchRows       *int                 `yaml:"batch_rows" flag:"batch-rows"`
		BatchWait       *yamlconfig.Duration `yaml:"batch_wait" flag:"batch-wait"`
		BatchBytes      *int                 `yaml:"batch_bytes" flag:"batch-bytes"`
		DLQFile         *string              `yaml:"dlq_file" flag:"dlq-file" path:"new"`
		DLQFileMaxBytes *int64               `yaml:"dlq_file_max_bytes" flag:"dlq-file-max-bytes"`
		StallAfter      *yamlconfig.Duration `yaml:"stall_after" flag:"stall-after"`
	} `yaml:"ingest"`
	Governance struct {
		Policy            *string              `yaml:"policy" flag:"policy" path:"file"`
		AnalyzeEvery      *yamlconfig.Duration `yaml:"analyze_every" flag:"analyze-every"`
		AnalyzeAfterScans *yamlconfig.Duration `yaml:"analyze_after_scans" flag:"analyze-after-scans"`
		CompactEvery      *yamlconfig.Duration `yaml:"compact_every" flag:"compact-every"`
	} `yaml:"governance"`
	Tickets struct {
		Settings       *string `yaml:"settings" flag:"ticketing" path:"file"`
		Outbox         *string `yaml:"outbox" flag:"outbox" path:"new"`
		HookSecretFile *string `yaml:"hook_secret_file" flag:"hook-secret-file" path:"file"`
	} `yaml:"tickets"`
	HTTP struct {
		Listen *string `yaml:"listen" flag:"listen"`
	} `yaml:"http"`
}

// inlineSecrets are keys people write by habit; the file must not hold the
// secret, so each gets the key to use instead.
var inlineSecrets = map[string]string{
	"clickhouse.password":   "clickhouse.password_file (or the NHI_CLICKHOUSE_PASSWORD environment variable)",
	"tickets.hook_secret":   "tickets.hook_secret_file",
	"tickets.secret":        "tickets.hook_secret_file",
	"http.hook_secret_file": "tickets.hook_secret_file",
}

// configFile is the --config flag: loading it adds the file's values as a
// resolver, below the command line.
type configFile string

// BeforeResolve loads the file. Kong calls it for a flag given on the
// command line or through its environment variable, before it has stored
// the flag's value: the value is asked of ctx.
func (configFile) BeforeResolve(ctx *kong.Context, trace *kong.Path) error {
	path, _ := ctx.FlagValue(trace.Flag).(configFile)
	if path == "" {
		return nil
	}
	r, err := loadConfig(string(path))
	if err != nil {
		return err
	}
	ctx.AddResolver(r)
	return nil
}

// flagValues are the flag values a configuration file sets, as the command
// line would spell them.
type flagValues map[string]string

// Resolve implements kong.Resolver. A flag's environment variable, when
// set, wins over the file (kong would let the file win): the order is the
// command line, the environment, the file, the default.
func (v flagValues) Resolve(_ *kong.Context, _ *kong.Path, f *kong.Flag) (any, error) {
	for _, env := range f.Tag.Envs {
		if _, set := os.LookupEnv(env); set {
			return nil, nil
		}
	}
	if s, ok := v[f.Name]; ok {
		return s, nil
	}
	return nil, nil
}

// Validate implements kong.Resolver; loadConfig has checked the file.
func (flagValues) Validate(*kong.Application) error { return nil }

// loadConfig reads and checks the collector's configuration file.
func loadConfig(path string) (flagValues, error) {
	var fc fileConfig
	f, err := yamlconfig.ReadFile(path, &fc)
	if err != nil {
		return nil, secretHint(err)
	}
	out := flagValues{}
	if err := collect(f, reflect.ValueOf(fc), "", out); err != nil {
		return nil, err
	}
	if fc.LogLevel != nil {
		var l slog.Level
		if err := l.UnmarshalText([]byte(*fc.LogLevel)); err != nil {
			return nil, f.Errorf("log_level", "%q: want debug, info, warn or error", *fc.LogLevel)
		}
	}
	return out, nil
}

// secretHint replaces "unknown key" on an inline secret by where the secret
// goes.
func secretHint(err error) error {
	ye, ok := err.(*yamlconfig.Error)
	if !ok {
		return err
	}
	if use, found := inlineSecrets[ye.Key]; found {
		ye.Msg = "secrets are not written in the configuration: use " + use
	}
	return ye
}

// collect walks the decoded file and records the value of every leaf
// present, keyed by its flag.
func collect(f *yamlconfig.File, v reflect.Value, prefix string, out flagValues) error {
	t := v.Type()
	for i := range t.NumField() {
		sf, fv := t.Field(i), v.Field(i)
		key := prefix + sf.Tag.Get("yaml")
		flag := sf.Tag.Get("flag")
		if flag == "" {
			if err := collect(f, fv, key+".", out); err != nil {
				return err
			}
			continue
		}
		if fv.IsNil() {
			continue
		}
		s, err := leafString(fv)
		if err != nil {
			return f.Errorf(key, "%v", err)
		}
		if kind := sf.Tag.Get("path"); kind != "" {
			if s, err = resolvePath(f.Name, s, kind); err != nil {
				return f.Errorf(key, "%v", err)
			}
		}
		out[flag] = s
	}
	return nil
}

// leafString spells a value the way the flag is written on the command
// line.
func leafString(v reflect.Value) (string, error) {
	if v.Kind() == reflect.Slice {
		if v.Len() == 0 {
			return "", fmt.Errorf("list at least one address (host:port)")
		}
		items := make([]string, v.Len())
		for i := range items {
			items[i] = v.Index(i).String()
			if items[i] == "" || strings.Contains(items[i], ",") {
				return "", fmt.Errorf("item %d: %q is not an address (host:port)", i, items[i])
			}
		}
		return strings.Join(items, ","), nil
	}
	switch x := v.Elem().Interface().(type) {
	case string:
		return x, nil
	case int:
		return strconv.Itoa(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case yamlconfig.Duration:
		return x.String(), nil
	}
	return "", fmt.Errorf("unsupported value %v", v.Elem().Type())
}

// resolvePath makes p relative to the configuration's folder, as the
// policy's paths are, so that a file and its neighbours move together; a
// path:"file" must exist and be a file.
func resolvePath(config, p, kind string) (string, error) {
	if p == "" {
		return "", fmt.Errorf("empty path: leave the key out instead")
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(filepath.Dir(config), p)
	}
	if kind != "file" {
		return p, nil
	}
	st, err := os.Stat(p)
	if err != nil {
		return "", err
	}
	if st.IsDir() {
		return "", fmt.Errorf("%s is a directory, not a file", p)
	}
	return p, nil
}
