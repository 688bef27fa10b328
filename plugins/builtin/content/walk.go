package content

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

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
}

// DefaultPaths are walked when the configuration names none.
var DefaultPaths = []string{"/etc", "/opt", "/srv", "/home", "/root", "/var/lib", "/usr/local"}

// DefaultExclude skips version-control data, dependency caches and
// container image stores.
var DefaultExclude = []string{".git", ".hg", ".svn", "node_modules", "/var/lib/docker", "/var/lib/containerd", "/var/lib/dpkg", "/var/lib/apt", "/proc", "/sys"}

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
	host, local string
	off, size   int64
}

// Run scans root and calls out, from one goroutine, for every finding.
func (s *Scanner) Run(ctx context.Context, root hostfs.Root, fp *secret.Fingerprinter, out func(Finding) error) (Stats, error) {
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
			s.worker(ctx, jobs, results, fp, &st)
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
				}
				return nil // unreadable entry: skip it, keep walking
			}
			host := root.HostPath(local)
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
			if s.Config.Unchanged != nil && s.Config.Unchanged(host, fi) {
				st.unchanged.Add(1)
				return nil
			}
			// Large files are cut into chunks so that both readers share them.
			for off := int64(0); off < fi.Size(); off += chunkSize {
				select {
				case jobs <- job{host: host, local: local, off: off, size: fi.Size()}:
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

func (s *Scanner) worker(ctx context.Context, jobs <-chan job, results chan<- Finding, fp *secret.Fingerprinter, st *stats) {
	m := newMatcher(s.Rules)
	m.keepDecoys = s.Config.KeepDecoys
	buf := make([]byte, chunkSize+2*chunkOverlap)
	for j := range jobs {
		if ctx.Err() != nil {
			continue
		}
		s.scanFile(j, m, buf, st, func(h hit, line int) {
			f := Finding{Path: j.host, RuleID: h.rule.RuleID, Kind: kindOf(h.rule.RuleID),
				Principal: principalOf(h.rule.RuleID, h.secret), Fingerprint: fp.Of(string(h.secret)), Key: h.key, Line: line}
			select {
			case results <- f:
			case <-ctx.Done():
			}
		})
	}
}

const (
	// chunkSize is how much of a file one pass scans; chunkOverlap is read
	// on both sides of it, so that a match near a chunk's edge is whole.
	chunkSize    = 1 << 20
	chunkOverlap = multilineAfter + 2*maxAfter + maxBefore
)

func (s *Scanner) maxSize() int64 {
	if s.Config.MaxFileSize > 0 {
		return s.Config.MaxFileSize
	}
	return DefaultMaxFileSize
}

// scanFile scans one chunk of a file (with chunkOverlap bytes read on both
// sides, so that a match near an edge is whole) through the worker's buffer.
// Binary and unreadable files are skipped.
func (s *Scanner) scanFile(j job, m *matcher, buf []byte, st *stats, found func(hit, int)) {
	f, err := os.Open(j.local)
	if err != nil {
		st.errors.Add(1)
		s.debug("open failed", j.host, err)
		return
	}
	defer f.Close()
	if j.off > 0 {
		n, _ := f.ReadAt(buf[:binarySniff], 0)
		if isBinary(buf[:n]) {
			return
		}
	}
	lo, hi := max(0, j.off-chunkOverlap), min(j.size, j.off+chunkSize+chunkOverlap)
	n, err := f.ReadAt(buf[:hi-lo], lo)
	if err != nil && !errors.Is(err, io.EOF) {
		st.errors.Add(1)
		s.debug("read failed", j.host, err)
		return
	}
	data := buf[:n]
	if j.off == 0 && isBinary(data) {
		st.skipped.Add(1)
		return
	}
	own := int(j.off - lo)
	linesBeforeLo := -1
	hits := m.scan(j.host, data)
	// gitleaks' global path allowlist (lock files, images, vendored
	// dependencies, ...) is a few dozen regexes: it is checked only for files
	// that have a finding, which gives the same result for far less work.
	if len(hits) > 0 && s.Rules.pathAllowed(j.host) {
		hits = nil
	}
	for _, h := range hits {
		if h.start < own || h.start >= own+chunkSize {
			continue
		}
		if linesBeforeLo < 0 {
			linesBeforeLo = countLines(f, lo, buf[len(data):])
		}
		found(h, linesBeforeLo+h.line)
	}
	if j.off == 0 {
		st.files.Add(1)
	}
	st.bytes.Add(int64(min(n-own, chunkSize)))
}

// countLines counts the newlines in the first n bytes of f, reading through
// scratch (the unused tail of the worker's buffer). It runs only for chunks
// that hold a finding.
func countLines(f *os.File, n int64, scratch []byte) int {
	if len(scratch) < 4096 {
		scratch = make([]byte, 64<<10)
	}
	lines := 0
	for off := int64(0); off < n; {
		k, err := f.ReadAt(scratch[:min(int64(len(scratch)), n-off)], off)
		lines += bytes.Count(scratch[:k], newline)
		off += int64(k)
		if err != nil || k == 0 {
			break
		}
	}
	return lines
}

var newline = []byte{'\n'}

// debug logs a file error by its host path; err comes from the OS and never
// holds file content.
func (s *Scanner) debug(msg, host string, err error) {
	if s.Log != nil {
		s.Log.Debug(msg, "path", host, "err", err)
	}
}
