// Package sshkeys is the built-in plugin that reports SSH identities: the
// private keys in every account's ~/.ssh (encrypted or not, with type and
// size) and each entry of its authorized_keys files (with the key's SHA256
// fingerprint, comment and options such as command= and from=).
//
// A private key is a secret: its event carries the HMAC fingerprint of the
// key material, and as principal the SHA256 fingerprint of its public half.
// An authorized key is public: its event carries no fingerprint and is
// identified by its SHA256 fingerprint, which is also how sshd names the key
// in the auth log, so login evidence points at the same identity.
package sshkeys

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"strings"
	"syscall"

	"github.com/nhiradar/nhiradar/plugins/builtin/internal/fileuse"
	"github.com/nhiradar/nhiradar/plugins/builtin/internal/options"
	"github.com/nhiradar/nhiradar/plugins/sdk"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
	"github.com/nhiradar/nhiradar/plugins/sdk/hostfs"
	"github.com/nhiradar/nhiradar/plugins/sdk/secret"
)

// Name is the plugin's name in events and configuration.
const Name = "sshkeys"

// Plugin finds SSH private keys and authorized keys under every home.
type Plugin struct{}

// Info implements sdk.Plugin.
func (Plugin) Info() sdk.Info {
	return sdk.Info{Name: Name, Version: "0.1.0", Description: "SSH private keys and authorized_keys entries"}
}

// skipped are files under ~/.ssh that never hold a private key.
var skipped = map[string]bool{"known_hosts": true, "known_hosts.old": true, "config": true, "environment": true, "rc": true}

type scanner struct {
	root hostfs.Root
	fp   *secret.Fingerprinter
	req  sdk.ScanRequest
	emit sdk.Emit
}

// Scan implements sdk.Plugin.
func (Plugin) Scan(ctx context.Context, req sdk.ScanRequest, emit sdk.Emit) error {
	if err := options.Check(Name, req.Options); err != nil {
		return err
	}
	fp, err := secret.NewFingerprinter(req.FingerprintKey)
	if err != nil {
		return err
	}
	req.Now = fileuse.Clock(req.Now)
	var problems hostfs.Problems
	s := &scanner{root: hostfs.New(req.Root).Reporting(&problems), fp: fp, req: req, emit: emit}
	var errs []error
	for _, home := range s.root.Homes() {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.scanDir(home); err != nil {
			errs = append(errs, err)
		}
	}
	for _, f := range authorizedFiles(s.root) {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.authorized(hostfs.Home{Account: f.account, Dir: f.path}, f.path); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, sdk.WarnAll(emit, &problems))
	return errors.Join(errs...)
}

func (s *scanner) scanDir(home hostfs.Home) error {
	dir := home.Dir + "/.ssh"
	entries, err := os.ReadDir(s.root.Path(dir))
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return nil
	}
	if err != nil {
		s.root.Note(dir, err) // one unreadable home is a warning, not a failed scan
		return nil
	}
	var errs []error
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || skipped[name] || strings.HasSuffix(name, ".pub") {
			continue
		}
		if strings.HasPrefix(name, "authorized_keys") {
			continue // see authorizedFiles
		}
		if err := s.private(home, dir+"/"+name); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// observed builds the event common to both kinds, with the file's metadata.
func (s *scanner) observed(home hostfs.Home, path string, kind event.Kind, meta hostfs.Meta) *event.Event {
	mod := meta.Modified
	return &event.Event{
		Type: event.TypeNHIObserved, Plugin: Name, Kind: kind, Location: path,
		FileOwner: meta.Owner, FileMode: meta.Mode, Account: home.Account, ModifiedAt: &mod,
	}
}
