package content

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zricethezav/gitleaks/v8/config"

	"github.com/nhiradar/nhiradar/plugins/builtin/internal/packaged"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
	"github.com/nhiradar/nhiradar/plugins/sdk/hostfs"
	"github.com/nhiradar/nhiradar/plugins/sdk/secret"
)

// Config says what the scanner reads. Its zero value scans nothing; see
// DefaultConfig.
type Config struct {
	// Paths are host paths to walk.
	Paths []string
	// Exclude are patterns of host paths to skip: a pattern without '/'
	// matches a file or directory name, one starting with '/' a whole host
	// path (shell globs, '*' within one path element), one starting with
	// "**/" any trailing part of a path.
	Exclude []string
	// SkipFile, when set, skips files another plugin already parses.
	SkipFile func(hostPath string) bool
	// Unchanged, when set, is asked about every file about to be read; a
	// file it reports unchanged is not read (incremental scans).
	Unchanged func(hostPath string, fi fs.FileInfo) bool
	// MaxFileSize skips larger files.
	MaxFileSize int64
	// Workers is the number of parallel readers (default GOMAXPROCS).
	Workers int
	// KeepDecoys turns the decoy filter off (for comparing with gitleaks).
	KeepDecoys bool
	// Packaged, when set, skips package caches, toolchains and files as
	// the OS package manager installed them, and counts them.
	Packaged *packaged.Skipper
}

// DefaultPaths are walked when the configuration names none.
var DefaultPaths = []string{"/etc", "/opt", "/srv", "/home", "/root", "/var/lib", "/usr/local"}

// DefaultExclude skips version-control data, dependency caches, container
// image stores, and what other built-in plugins parse by structure: SSH keys
// (~/.ssh, /etc/ssh) and the kubelet's projected service-account tokens.
var DefaultExclude = []string{".git", ".hg", ".svn", "node_modules", ".ssh", "/etc/ssh", "/var/lib/kubelet/pods",
	"/var/lib/docker", "/var/lib/containerd", "/var/lib/dpkg", "/var/lib/apt", "/proc", "/sys"}

// DefaultMaxFileSize is the largest file read.
const DefaultMaxFileSize = 256 << 20

// Finding is one secret in one file, already fingerprinted.
type Finding struct {
	Path        string
	RuleID      string
	Kind        event.Kind
	Principal   string
	Fingerprint string
	Key         string
	Line        int
	// CreatedAt is a JWT's iat: the secret's age as the host shows it.
	CreatedAt *time.Time `json:",omitempty"`
	ExpiresAt *time.Time `json:",omitempty"`
}

// Stats counts the work of one run.
type Stats struct {
	Files, Bytes, Skipped, Errors, Unchanged int64
}

// Scanner walks a host tree with a rule set.
type Scanner struct {
	Rules  *Rules
	Config Config
	Log    *slog.Logger
}

// job is one file, or one chunk of a large file, for a worker.
type job struct {
	root        hostfs.Root
	host, local string
	off, size   int64
	// pathRule, on a file's first job, is the path-only rule naming it.
	pathRule *config.Rule
}

// Run scans root and calls out, from one goroutine, for every finding.
func (s *Scanner) Run(ctx context.Context, root hostfs.Root, fp *secret.Fingerprinter, out func(Finding) error) (Stats, error) {
	return s.run(ctx, root, out, func(ctx context.Context, jobs <-chan job, results chan<- Finding, st *stats) {
		s.worker(ctx, jobs, results, fp, st)
	})
}

// ReadAll walks and reads exactly what Run would (same walker, skips,
// chunks and number of workers) and matches nothing: the benchmark's
// measure of the most a scan could reach on this tree and machine.
func (s *Scanner) ReadAll(ctx context.Context, root hostfs.Root) (Stats, error) {
	return s.run(ctx, root, func(Finding) error { return nil }, func(ctx context.Context, jobs <-chan job, _ chan<- Finding, st *stats) {
		s.reader(ctx, jobs, st)
	})
}

type workerFunc func(ctx context.Context, jobs <-chan job, results chan<- Finding, st *stats)

func (s *Scanner) run(ctx context.Context, root hostfs.Root, out func(Finding) error, work workerFunc) (Stats, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	workers := s.Config.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var st stats
	jobs := make(chan job, 256)
	results := make(chan Finding, 64)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			work(ctx, jobs, results, &st)
		}()
	}
	walkErr := make(chan error, 1)
	go func() {
		walkErr <- s.walk(ctx, root, jobs, &st)
		close(jobs)
	}()
	go func() { wg.Wait(); close(results) }()
	var emitErr error
	for f := range results {
		if emitErr == nil {
			if emitErr = out(f); emitErr != nil {
				cancel()
			}
		}
	}
	err := errors.Join(emitErr, <-walkErr)
	return st.snapshot(), err
}

type stats struct{ files, bytes, skipped, errors, unchanged atomic.Int64 }

func (st *stats) snapshot() Stats {
	return Stats{Files: st.files.Load(), Bytes: st.bytes.Load(), Skipped: st.skipped.Load(), Errors: st.errors.Load(),
		Unchanged: st.unchanged.Load()}
}

func (s *Scanner) walk(ctx context.Context, root hostfs.Root, jobs chan<- job, st *stats) error {
	for _, p := range s.Config.Paths {
		start := root.Path(p)
		err := filepath.WalkDir(start, func(local string, d fs.DirEntry, err error) error {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return ctxErr
			}
			if err != nil {
				if local != start {
					st.errors.Add(1)
					root.Note(root.HostPath(local), err)
				}
				return nil // unreadable entry: skip it, keep walking
			}
			host := root.HostPath(local)
			if d.IsDir() && local != start && s.Config.Packaged.Dir(host) {
				return fs.SkipDir
			}
			if s.excluded(host, d.Name()) {
				if d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			// Only regular files: symlinks are never followed, so nothing
			// outside the root is read.
			if !d.Type().IsRegular() {
				return nil
			}
			if s.Config.SkipFile != nil && s.Config.SkipFile(host) {
				st.skipped.Add(1)
				return nil
			}
			fi, err := d.Info()
			if err != nil || fi.Size() == 0 || fi.Size() > s.maxSize() {
				st.skipped.Add(1)
				return nil
			}
			if s.Config.Packaged.File(host) {
				return nil
			}
			if s.Config.Unchanged != nil && s.Config.Unchanged(host, fi) {
				st.unchanged.Add(1)
				return nil
			}
			// Large files are cut into chunks so that both readers share them.
			for off := int64(0); off < fi.Size(); off += chunkSize {
				j := job{root: root, host: host, local: local, off: off, size: fi.Size()}
				if off == 0 {
					j.pathRule = s.Rules.pathRule(host)
				}
				select {
				case jobs <- j:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			return nil
		})
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	return ctx.Err()
}

func (s *Scanner) excluded(host, name string) bool {
	for _, pat := range s.Config.Exclude {
		switch {
		case strings.HasPrefix(pat, "**/"):
			rest := pat[3:]
			n := strings.Count(rest, "/") + 1
			parts := strings.Split(host, "/")
			if len(parts) >= n {
				if ok, _ := path.Match(rest, strings.Join(parts[len(parts)-n:], "/")); ok {
					return true
				}
			}
		case strings.HasPrefix(pat, "/"):
			if ok, _ := path.Match(pat, host); ok || host == pat || strings.HasPrefix(host, strings.TrimSuffix(pat, "/")+"/") {
				return true
			}
		default:
			if ok, _ := path.Match(pat, name); ok {
				return true
			}
		}
	}
	return false
}
