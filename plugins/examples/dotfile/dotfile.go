// Package dotfile is an example third-party discovery plugin, written only
// against the public SDK (plugins/sdk and its subpackages) the way a team
// outside NHI Radar would write one. It finds the API token of the
// (fictional) "acme" CLI in ~/.acmerc:
//
//	# ~/.acmerc
//	user  = carol
//	token = acme_5f0b...
//
// Each token is one api_key identity whose principal is the user name and
// whose fingerprint is the token's HMAC. See plugins/sdk/GUIDE.md.
package dotfile

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/nhiradar/nhiradar/plugins/sdk"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
	"github.com/nhiradar/nhiradar/plugins/sdk/hostfs"
	"github.com/nhiradar/nhiradar/plugins/sdk/secret"
)

// Plugin finds acme CLI tokens.
type Plugin struct{}

// Info implements sdk.Plugin.
func (Plugin) Info() sdk.Info {
	return sdk.Info{Name: "acme-dotfile", Version: "1.0.0", Description: "acme CLI tokens in ~/.acmerc"}
}

// Scan implements sdk.Plugin: every home directory's .acmerc.
func (Plugin) Scan(ctx context.Context, req sdk.ScanRequest, emit sdk.Emit) error {
	// It has no options: one in the configuration is a mistake to report,
	// not a setting to ignore.
	for k := range req.Options {
		return fmt.Errorf("acme-dotfile: unknown option %q (it has none)", k)
	}
	fp, err := secret.NewFingerprinter(req.FingerprintKey)
	if err != nil {
		return err
	}
	root := hostfs.New(req.Root) // host paths, rebased onto --root
	var errs []error
	for _, home := range root.Homes() {
		if err := ctx.Err(); err != nil {
			return err
		}
		path := home.Dir + "/.acmerc"
		b, err := root.ReadFile(path, 64<<10) // a dotfile is small: bound every read
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			// Name the path, never the content.
			errs = append(errs, fmt.Errorf("acme-dotfile: read %s: %w", path, err))
			continue
		}
		user, token := parse(b)
		if token == "" || strings.Contains(token, "<") {
			continue
		}
		meta, err := root.FileMeta(path)
		if err != nil {
			errs = append(errs, fmt.Errorf("acme-dotfile: stat %s: %w", path, err))
			continue
		}
		mod := meta.Modified
		e := &event.Event{
			Type: event.TypeNHIObserved, Kind: event.KindAPIKey,
			Principal: user, Fingerprint: fp.Of(token), // the token itself never leaves
			Location: path, Key: "token", Account: home.Account,
			FileOwner: meta.Owner, FileMode: meta.Mode, ModifiedAt: &mod,
		}
		if err := emit(e); err != nil {
			return err
		}
	}
	return errors.Join(errs...)
}

func parse(b []byte) (user, token string) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "user":
			user = strings.TrimSpace(v)
		case "token":
			token = strings.TrimSpace(v)
		}
	}
	return user, token
}
