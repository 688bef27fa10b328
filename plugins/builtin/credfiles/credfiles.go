// Package credfiles is the built-in plugin that finds credentials in the
// well-known files tools keep them in, parsing each format by its structure
// rather than by pattern: AWS shared credentials and config so far.
package credfiles

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/nhiradar/nhiradar/plugins/sdk"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
	"github.com/nhiradar/nhiradar/plugins/sdk/hostfs"
	"github.com/nhiradar/nhiradar/plugins/sdk/secret"
)

// Name is the plugin's name in events and configuration.
const Name = "credfiles"

// Plugin finds credential files under every home directory of the host.
type Plugin struct{}

// Info implements sdk.Plugin.
func (Plugin) Info() sdk.Info {
	return sdk.Info{Name: Name, Version: "0.1.0", Description: "credentials in well-known files (AWS)"}
}

// parser reads one kind of credential file. It receives the file's content
// and returns findings whose secrets are already fingerprinted.
type parser struct {
	// rel is the path under a home directory.
	rel   string
	parse func(content []byte, fp *secret.Fingerprinter) ([]finding, error)
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
}

var parsers = []parser{
	{rel: ".aws/credentials", parse: parseAWSCredentials},
	{rel: ".aws/config", parse: parseAWSCredentials},
}

// Scan implements sdk.Plugin.
func (Plugin) Scan(ctx context.Context, req sdk.ScanRequest, emit sdk.Emit) error {
	fp, err := secret.NewFingerprinter(req.FingerprintKey)
	if err != nil {
		return err
	}
	root := hostfs.New(req.Root)
	var errs []error
	for _, home := range root.Homes() {
		for _, p := range parsers {
			if err := ctx.Err(); err != nil {
				return err
			}
			path := home.Dir + "/" + p.rel
			if err := scanFile(root, home, path, p, fp, emit); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

func scanFile(root hostfs.Root, home hostfs.Home, path string, p parser, fp *secret.Fingerprinter, emit sdk.Emit) error {
	content, err := root.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: read %s: %w", Name, path, err)
	}
	meta, err := root.FileMeta(path)
	if err != nil {
		return fmt.Errorf("%s: stat %s: %w", Name, path, err)
	}
	found, err := p.parse(content, fp)
	if err != nil {
		// The parser's error never quotes the content: it may hold a secret.
		return fmt.Errorf("%s: parse %s: %w", Name, path, err)
	}
	for _, f := range found {
		mod := meta.Modified
		e := &event.Event{
			Type: event.TypeNHIObserved, Plugin: Name,
			Kind: f.kind, Principal: f.principal, Fingerprint: f.fingerprint,
			Location: path, Key: f.key, FileOwner: meta.Owner, FileMode: meta.Mode,
			Account: home.Account, ModifiedAt: &mod, OwnerHints: f.hints, Attrs: f.attrs,
		}
		if err := emit(e); err != nil {
			return err
		}
	}
	return nil
}
