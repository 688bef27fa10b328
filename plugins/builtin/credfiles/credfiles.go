// Package credfiles is the built-in plugin that finds credentials in the
// well-known files tools keep them in, parsing each format by its structure
// rather than by pattern: AWS, GCP, Azure CLI, kubeconfig, Docker, .netrc,
// .npmrc, .pypirc, .git-credentials, .pgpass, .my.cnf, Terraform, gh, .env
// files, systemd units, cron tables, private keys (PEM and OpenSSH) and AI
// agent tools' configurations (MCP servers, Continue's models).
//
// A raw secret never leaves a parser: it returns findings whose secret is
// already an HMAC fingerprint, and its errors never quote file content.
package credfiles

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"slices"
	"sort"
	"time"

	"github.com/nhiradar/nhiradar/plugins/builtin/internal/filecache"
	"github.com/nhiradar/nhiradar/plugins/builtin/internal/packaged"
	"github.com/nhiradar/nhiradar/plugins/sdk"
	"github.com/nhiradar/nhiradar/plugins/sdk/baseline"
	"github.com/nhiradar/nhiradar/plugins/sdk/decoy"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
	"github.com/nhiradar/nhiradar/plugins/sdk/hostfs"
	"github.com/nhiradar/nhiradar/plugins/sdk/secret"
)

// Name is the plugin's name in events and configuration.
const Name = "credfiles"

// maxFileSize bounds what a parser reads: credential files are small. A
// larger file is skipped with a warning.
const maxFileSize = 4 << 20

// maxLine bounds one line of a line-based format; a longer line is skipped
// with a warning and parsing goes on after it.
const maxLine = 256 << 10

// errNoted is a file the scan could not read or parse: the problem is
// noted on the root (a warning in the scan), the file is not cached and the
// scan goes on.
var errNoted = errors.New("noted")

// Plugin finds credential files on the host.
type Plugin struct{}

// Info implements sdk.Plugin.
func (Plugin) Info() sdk.Info {
	return sdk.Info{Name: Name, Version: "0.4.0", Description: "credentials in well-known files, parsed by structure"}
}

// input is what a parser receives. Content may hold secrets: a parser
// fingerprints them with FP and keeps nothing else of them.
type input struct {
	content []byte
	path    string
	fp      *secret.Fingerprinter
	root    hostfs.Root
	now     time.Time
}

// finding is one credential in a file, with the secret already replaced by
// its fingerprint.
type finding struct {
	kind        event.Kind
	principal   string
	fingerprint string
	key         string
	hints       []string
	attrs       map[string]string
	expires     *time.Time
	// created is the host's own evidence of when the credential was made
	// (a JWT's iat, a certificate's notBefore): its age on the first scan.
	created *time.Time
	// account runs what holds the credential (a unit's User=, a cron
	// job's user) when the file says; empty means the home's account or
	// the file owner.
	account string
	// location is set when the credential sits in another file than the one
	// parsed (a systemd unit's EnvironmentFile=).
	location string
}

// options lists the keys Options may hold; any other key is an error.
var options = map[string]bool{"paths": true, "baseline": true, "ignore": true,
	packaged.OptPackageCaches: true, packaged.OptOSPackages: true}

// Scan implements sdk.Plugin.
func (p Plugin) Scan(ctx context.Context, req sdk.ScanRequest, emit sdk.Emit) error {
	fp, err := secret.NewFingerprinter(req.FingerprintKey)
	if err != nil {
		return err
	}
	for k := range req.Options {
		if !options[k] {
			return fmt.Errorf("%s: unknown option %q", Name, k)
		}
	}
	filter, err := baseline.FromOptions(req.Options)
	if err != nil {
		return fmt.Errorf("%s: %w", Name, err)
	}
	var problems hostfs.Problems
	root := hostfs.New(req.Root).Reporting(&problems)
	homes := root.Homes()
	now := req.Now
	if now.IsZero() {
		now = time.Now()
	}
	var errs []error
	seen := map[string]bool{}
	cache := filecache.Open[json.RawMessage](req.StateDir, cacheFile, cacheVersion(req.Options), fp, !req.Full)
	paths := scanPaths(req.Options, homes)
	skip, err := packaged.New(root, req.Options, paths)
	if err != nil {
		return fmt.Errorf("%s: %w", Name, err)
	}
	walkErr := walk(ctx, root, paths, skip, func(path string, pr parser) {
		in := input{path: path, fp: fp, root: root, now: now}
		if err := scanCached(in, pr, accountOf(homes, path), filter, seen, emit, cache, !req.Full); err != nil {
			errs = append(errs, err)
		}
	})
	req.Logger().LogAttrs(ctx, slog.LevelInfo, "credfiles scan finished", append([]slog.Attr{slog.Int("findings", len(seen)),
		slog.Int("unchanged", cache.Reused()), slog.Int("errors", len(errs)), slog.Int("unreadable", len(problems.List()))},
		skip.LogAttrs()...)...)
	return errors.Join(append(errs, walkErr, cache.Save(), sdk.WarnAll(emit, &problems))...)
}

// cacheFile is the incremental-scan cache in the plugin's state directory.
const cacheFile = "credfiles-cache.json"

// cacheVersion names what a cached file's events depend on besides the
// file: the plugin's version and its options (paths, baseline, ignore).
func cacheVersion(opts map[string]string) string {
	keys := make([]string, 0, len(opts))
	for k := range opts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		fmt.Fprintf(h, "%s=%s\x00", k, opts[k])
	}
	return fmt.Sprintf("credfiles-%s/%x", Plugin{}.Info().Version, h.Sum(nil)[:8])
}

// scanCached scans one file; in an incremental scan, a file unchanged since
// the last scan (size, mtime, inode) is not read, and what it gave then is
// reported again. A credential reported at another file (EnvironmentFile=)
// is refreshed by the next full scan.
func scanCached(in input, pr parser, account string, filter *baseline.Filter, seen map[string]bool, emit sdk.Emit,
	cache *filecache.Cache[json.RawMessage], incremental bool) error {
	// A plain stat: FileMeta would also look the owner up in the host's
	// accounts, which scanFile does once a file is read.
	if fi, err := in.root.Stat(in.path); err == nil {
		if cached, ok := cache.Reuse(in.path, filecache.StampOf(fi), incremental); ok {
			for _, raw := range cached {
				var e event.Event
				if err := json.Unmarshal(raw, &e); err != nil {
					return fmt.Errorf("%s: scan cache entry of %s: %w", Name, in.path, err)
				}
				k := observationKey(e.Kind, e.Principal, e.Fingerprint, e.Location, e.Key)
				if seen[k] {
					continue
				}
				seen[k] = true
				if err := emit(&e); err != nil {
					return err
				}
			}
			return nil
		}
	}
	err := scanFile(in, pr, account, filter, seen, func(e *event.Event) error {
		// Encoded before the agent stamps the envelope on the event, and
		// kept encoded: a few hundred bytes per event, not the struct.
		if raw, err := json.Marshal(e); err == nil {
			cache.Add(in.path, raw)
		} else {
			cache.Forget(in.path) // a later Add leaves an entry no stamp matches
		}
		return emit(e)
	})
	if err != nil {
		// Read again next time: the error may pass.
		cache.Forget(in.path)
	}
	if errors.Is(err, errNoted) {
		return nil
	}
	return err
}

// observationKey identifies one observation within a scan.
func observationKey(kind event.Kind, principal, fingerprint, location, key string) string {
	return string(kind) + "\x00" + principal + "\x00" + fingerprint + "\x00" + location + "\x00" + key
}

func scanFile(in input, p parser, account string, filter *baseline.Filter, seen map[string]bool, emit sdk.Emit) error {
	meta, err := in.root.FileMeta(in.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		in.root.Note(in.path, err)
		return errNoted
	}
	in.content, err = in.root.ReadFile(in.path, maxFileSize)
	if err != nil {
		return errNoted
	}
	found, err := p.parse(in)
	if err != nil {
		// The parser's error never quotes the content: it may hold a
		// secret. A file the tool itself could not parse is a warning.
		in.root.Note(in.path, fmt.Errorf("%w: %w", hostfs.ErrMalformed, err))
		return errNoted
	}
	var annotated []string
	if len(found) > 0 {
		annotated = ownerAnnotations(in.content)
	}
	for _, f := range found {
		loc, m := in.path, meta
		if f.location != "" {
			loc = f.location
			if m, err = in.root.FileMeta(loc); err != nil {
				continue
			}
		}
		k := observationKey(f.kind, f.principal, f.fingerprint, loc, f.key)
		if seen[k] || filter.Skip(f.fingerprint) || decoy.Path(loc) {
			continue
		}
		seen[k] = true
		mod := m.Modified
		e := &event.Event{
			Type: event.TypeNHIObserved, Plugin: Name,
			Kind: f.kind, Principal: f.principal, Fingerprint: f.fingerprint,
			Location: loc, Key: f.key, FileOwner: m.Owner, FileMode: m.Mode,
			Account: account, ModifiedAt: &mod, CreatedAt: f.created, ExpiresAt: f.expires, OwnerHints: hints(f.hints, annotated), Attrs: f.attrs,
		}
		if f.account != "" {
			e.Account = f.account
		}
		if e.Account == "" {
			e.Account = m.Owner
		}
		if err := emit(e); err != nil {
			return err
		}
	}
	return nil
}

// hints are a finding's own owner hints, then what its file says of its
// owner; a new slice, as findings of one file may share theirs.
func hints(own, annotated []string) []string {
	out := slices.Concat(own, annotated)
	if len(out) > event.MaxOwnerHints {
		out = out[:event.MaxOwnerHints]
	}
	return slices.Compact(out)
}
