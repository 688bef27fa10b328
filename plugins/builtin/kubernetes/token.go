package kubernetes

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nhiradar/nhiradar/plugins/builtin/internal/fileuse"
	"github.com/nhiradar/nhiradar/plugins/sdk"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
	"github.com/nhiradar/nhiradar/plugins/sdk/hostfs"
	"github.com/nhiradar/nhiradar/plugins/sdk/secret"
)

// maxToken bounds what is read from a file in a token volume.
const maxToken = 64 << 10

type scanner struct {
	root hostfs.Root
	fp   *secret.Fingerprinter
	now  time.Time
	emit sdk.Emit
}

// maxDepth bounds how deep a volume's items are looked for (a projected
// item's path may hold directories, such as vault/token).
const maxDepth = 3

// scanDir reads every file of a token volume. The kubelet's atomic writer
// keeps the real files under ..data; the visible names are links to them,
// so names starting with ".." are skipped and links are followed.
func (s *scanner) scanDir(dir string) error { return s.scanLevel(dir, 0) }

func (s *scanner) scanLevel(dir string, depth int) error {
	entries, err := os.ReadDir(s.root.Path(dir))
	if err != nil {
		return fmt.Errorf("%s: read %s: %w", Name, dir, err)
	}
	var errs []error
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, "..") || strings.HasSuffix(name, ".crt") || name == "namespace" {
			continue
		}
		p := dir + "/" + name
		if local, err := s.resolve(p); err == nil && depth < maxDepth {
			if fi, err := os.Stat(local); err == nil && fi.IsDir() {
				if err := s.scanLevel(p, depth+1); err != nil {
					errs = append(errs, err)
				}
				continue
			}
		}
		if err := s.scanFile(p); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (s *scanner) scanFile(path string) error {
	local, err := s.resolve(path)
	if err != nil {
		s.root.Note(path, err) // a link out of the root; a dangling one is no problem
		return nil
	}
	real := s.root.HostPath(local)
	times, err := fileuse.Stat(s.root, real)
	if err != nil {
		s.root.Note(path, err)
		return nil
	}
	// The kubelet's ..data layout is links all the way: followed, inside the root.
	content, err := s.root.ReadFile(real, maxToken)
	if err != nil {
		return nil // noted on the root
	}
	claims, err := ParseToken(content)
	if err != nil {
		return nil // not a service-account token
	}
	meta, err := s.root.FileMeta(real)
	if err != nil {
		return fmt.Errorf("%s: stat %s: %w", Name, path, err)
	}
	e := tokenEvent(path, claims, meta, s.fp.Of(strings.TrimSpace(string(content))))
	if err := s.emit(e); err != nil {
		return err
	}
	if used, ok := fileuse.Accessed(s.root, real, times, s.now); ok {
		return s.emit(&event.Event{
			Type: event.TypeUsageEvidence, Plugin: Name, Kind: e.Kind, Principal: e.Principal,
			Fingerprint: e.Fingerprint, Evidence: event.EvidenceFileAccess, Source: path, UsedAt: &used, Location: path,
		})
	}
	return nil
}

// resolve follows links inside the root and returns the local path.
func (s *scanner) resolve(path string) (string, error) {
	rootDir, err := filepath.EvalSymlinks(s.root.Path("/"))
	if err != nil {
		return "", err
	}
	local, err := filepath.EvalSymlinks(s.root.Path(path))
	if err != nil {
		return "", err
	}
	if !s.root.Live() && local != rootDir && !strings.HasPrefix(local, rootDir+string(filepath.Separator)) {
		return "", hostfs.ErrOutsideRoot
	}
	return local, nil
}

func tokenEvent(path string, c Claims, meta hostfs.Meta, fingerprint string) *event.Event {
	mod := meta.Modified
	attrs := map[string]string{"namespace": c.Namespace, "service_account": c.Account, "legacy": fmt.Sprint(c.Legacy)}
	for k, v := range map[string]string{"issuer": c.Issuer, "pod": c.Pod, "pod_uid": c.PodUID, "node": c.Node, "audience": strings.Join(c.Audience, ",")} {
		if v != "" {
			attrs[k] = v
		}
	}
	if c.PodUID == "" {
		if uid, ok := podUIDFromPath(path); ok {
			attrs["pod_uid"] = uid
		}
	}
	e := &event.Event{
		Type: event.TypeNHIObserved, Plugin: Name, Kind: event.KindKubernetesSAToken,
		Principal: c.Principal(), Fingerprint: fingerprint, Location: path, Key: filepath.Base(path),
		FileOwner: meta.Owner, FileMode: meta.Mode, ModifiedAt: &mod, Attrs: attrs,
		OwnerHints: []string{"namespace:" + c.Namespace},
	}
	if c.Pod != "" {
		e.OwnerHints = append(e.OwnerHints, "pod:"+c.Pod)
	}
	if !c.IssuedAt.IsZero() {
		t := c.IssuedAt
		e.CreatedAt = &t
	}
	if !c.ExpiresAt.IsZero() {
		t := c.ExpiresAt
		e.ExpiresAt = &t
	}
	return e
}

// podUIDFromPath returns the pod uid of a kubelet volume path.
func podUIDFromPath(path string) (string, bool) {
	rest, ok := strings.CutPrefix(path, "/var/lib/kubelet/pods/")
	if !ok {
		return "", false
	}
	uid, _, ok := strings.Cut(rest, "/")
	return uid, ok
}
