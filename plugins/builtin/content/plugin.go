package content

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"

	"github.com/nhiradar/nhiradar/plugins/builtin/internal/packaged"
	"github.com/nhiradar/nhiradar/plugins/sdk"
	"github.com/nhiradar/nhiradar/plugins/sdk/baseline"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
	"github.com/nhiradar/nhiradar/plugins/sdk/hostfs"
	"github.com/nhiradar/nhiradar/plugins/sdk/secret"
)

// Name is the plugin's name in events and configuration.
const Name = "content"

// Plugin finds secrets in the content of any file under its paths.
type Plugin struct {
	// SkipFile skips files another plugin parses (builtin wires credfiles').
	SkipFile func(hostPath string) bool

	once  sync.Once
	rules *Rules
	err   error
}

// Info implements sdk.Plugin.
func (*Plugin) Info() sdk.Info {
	return sdk.Info{Name: Name, Version: "0.3.0", Description: "secrets in file content (gitleaks rules)"}
}

// options lists the keys Options may hold; any other key is an error.
var options = map[string]bool{"paths": true, "exclude": true, "max_file_size": true, "workers": true, "baseline": true, "ignore": true,
	packaged.OptPackageCaches: true, packaged.OptOSPackages: true}

// Scan implements sdk.Plugin.
func (p *Plugin) Scan(ctx context.Context, req sdk.ScanRequest, emit sdk.Emit) error {
	fp, err := secret.NewFingerprinter(req.FingerprintKey)
	if err != nil {
		return err
	}
	p.once.Do(func() { p.rules, p.err = DefaultRules() })
	if p.err != nil {
		return p.err
	}
	cfg, err := parseOptions(req.Options)
	if err != nil {
		return err
	}
	cfg.SkipFile = p.SkipFile
	filter, err := baseline.FromOptions(req.Options)
	if err != nil {
		return fmt.Errorf("%s: %w", Name, err)
	}
	var problems hostfs.Problems
	root := hostfs.New(req.Root).Reporting(&problems)
	if cfg.Packaged, err = packaged.New(root, req.Options, cfg.Paths); err != nil {
		return fmt.Errorf("%s: %w", Name, err)
	}
	log := req.Logger()
	c := openCache(req.StateDir, fp, !req.Full)
	cfg.Unchanged = c.unchanged(!req.Full)
	s := &Scanner{Rules: p.rules, Config: cfg, Log: log}
	seen := map[string]bool{}
	homes := root.Homes()
	report := func(f Finding) error {
		// The same secret twice on one line or file is one observation.
		k := f.Path + "\x00" + f.Fingerprint
		if seen[k] || filter.Skip(f.Fingerprint) {
			return nil
		}
		seen[k] = true
		return emit(toEvent(root, homes, f))
	}
	st, err := s.Run(ctx, root, fp, func(f Finding) error {
		c.record(f)
		return report(f)
	})
	if err != nil {
		return err
	}
	for _, f := range c.reusedFindings() {
		if err := report(f); err != nil {
			return err
		}
	}
	log.LogAttrs(ctx, slog.LevelInfo, "content scan finished", append([]slog.Attr{slog.Int64("files", st.Files),
		slog.Int64("bytes", st.Bytes), slog.Int64("skipped", st.Skipped), slog.Int64("unchanged", st.Unchanged),
		slog.Int64("errors", st.Errors), slog.Int("findings", len(seen))}, cfg.Packaged.LogAttrs()...)...)
	return errors.Join(c.save(), sdk.WarnAll(emit, &problems))
}

func toEvent(root hostfs.Root, homes []hostfs.Home, f Finding) *event.Event {
	e := &event.Event{
		Type: event.TypeNHIObserved, Plugin: Name, Kind: f.Kind, Principal: f.Principal,
		Fingerprint: f.Fingerprint, Location: f.Path, Key: f.Key, CreatedAt: f.CreatedAt, ExpiresAt: f.ExpiresAt,
		Attrs: map[string]string{"rule": f.RuleID, "line": strconv.Itoa(f.Line)},
	}
	if f.Kind == event.KindLLMAPIKey {
		e.Attrs["provider"] = f.Principal
	}
	if m, err := root.FileMeta(f.Path); err == nil {
		mod := m.Modified
		e.FileOwner, e.FileMode, e.ModifiedAt = m.Owner, m.Mode, &mod
	}
	// The account is the one whose home holds the file, else the file's owner.
	best := ""
	for _, h := range homes {
		if strings.HasPrefix(f.Path, h.Dir+"/") && len(h.Dir) > len(best) {
			best, e.Account = h.Dir, h.Account
		}
	}
	if e.Account == "" {
		e.Account = e.FileOwner
	}
	return e
}

func parseOptions(o map[string]string) (Config, error) {
	cfg := Config{Paths: DefaultPaths, Exclude: DefaultExclude, MaxFileSize: DefaultMaxFileSize}
	for k, v := range o {
		if !options[k] {
			return cfg, fmt.Errorf("%s: unknown option %q", Name, k)
		}
		var err error
		switch k {
		case "paths":
			cfg.Paths = splitList(v)
		case "exclude":
			cfg.Exclude = append(append([]string(nil), DefaultExclude...), splitList(v)...)
		case "max_file_size":
			cfg.MaxFileSize, err = strconv.ParseInt(v, 10, 64)
		case "workers":
			cfg.Workers, err = strconv.Atoi(v)
		}
		if err != nil {
			return cfg, fmt.Errorf("%s: option %s: %w", Name, k, err)
		}
	}
	return cfg, nil
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
