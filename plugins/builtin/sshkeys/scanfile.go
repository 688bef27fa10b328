package sshkeys

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"

	"github.com/nhiradar/nhiradar/plugins/builtin/internal/fileuse"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
	"github.com/nhiradar/nhiradar/plugins/sdk/hostfs"
)

func (s *scanner) private(home hostfs.Home, path string) error {
	times, err := fileuse.Stat(s.root, path)
	if err != nil {
		return fmt.Errorf("%s: stat %s: %w", Name, path, err)
	}
	content, err := s.root.ReadFile(path, maxKeyFile)
	if err != nil {
		return nil // noted on the root: a warning, and the scan goes on
	}
	if !LooksPrivate(content) {
		return nil
	}
	pub, _ := s.root.ReadFile(path+".pub", maxKeyFile)
	key, ok := ParsePrivateKey(content, pub)
	if !ok {
		return nil
	}
	meta, err := s.root.FileMeta(path)
	if err != nil {
		return fmt.Errorf("%s: stat %s: %w", Name, path, err)
	}
	e := s.observed(home, path, event.KindSSHPrivateKey, meta)
	e.Principal, e.Fingerprint, e.Key, e.Attrs = key.Principal, key.Fingerprint(s.fp.Of), "private_key", key.attrs()
	if key.Comment != "" {
		e.OwnerHints = []string{"comment:" + key.Comment}
	}
	if home.Account != "" {
		e.OwnerHints = append(e.OwnerHints, "home:"+home.Account)
	}
	if err := s.emit(e); err != nil {
		return err
	}
	if used, ok := fileuse.Accessed(s.root, path, times, s.req.Now); ok {
		return s.emit(&event.Event{
			Type: event.TypeUsageEvidence, Plugin: Name, Kind: event.KindSSHPrivateKey,
			Principal: key.Principal, Fingerprint: e.Fingerprint, Evidence: event.EvidenceFileAccess,
			Source: path, UsedAt: &used, Account: home.Account, Location: path,
			Attrs: map[string]string{"atime": used.Format("2006-01-02T15:04:05Z07:00")},
		})
	}
	return nil
}

// authorized streams an authorized_keys file: a hundred thousand entries,
// or one entry past the line limit, cost memory for one line, and every
// other entry is still reported.
func (s *scanner) authorized(home hostfs.Home, path string) error {
	f, err := s.root.Open(path)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return nil // most accounts have none; a home of /dev/null has no directory
	}
	if err != nil {
		return nil // noted on the root
	}
	defer f.Close()
	meta, err := s.root.FileMeta(path)
	if err != nil {
		return fmt.Errorf("%s: stat %s: %w", Name, path, err)
	}
	return s.root.EachLineFrom(path, f, maxAuthorizedFile, maxAuthorizedLine, func(n int, line []byte) error {
		k, ok := ParseAuthorizedKey(n, line)
		if !ok {
			return nil
		}
		e := s.observed(home, path, event.KindSSHAuthorizedKey, meta)
		e.Principal, e.Key, e.Attrs = k.Principal, "authorized_keys", k.attrs()
		if k.Comment != "" {
			e.OwnerHints = []string{"comment:" + k.Comment}
		}
		return s.emit(e)
	})
}
