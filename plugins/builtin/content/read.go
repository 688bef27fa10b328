package content

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"

	"github.com/nhiradar/nhiradar/plugins/sdk/decoy"
	"github.com/nhiradar/nhiradar/plugins/sdk/secret"
)

// worker reads jobs (files or chunks of files) with its own matcher and
// buffer and sends the findings, fingerprinted, to results.
func (s *Scanner) worker(ctx context.Context, jobs <-chan job, results chan<- Finding, fp *secret.Fingerprinter, st *stats) {
	m := newMatcher(s.Rules)
	m.keepDecoys = s.Config.KeepDecoys
	buf := make([]byte, chunkSize+2*chunkOverlap)
	for j := range jobs {
		if ctx.Err() != nil {
			continue
		}
		if j.pathRule != nil {
			s.pathFinding(ctx, j, fp, results)
		}
		s.scanFile(j, m, buf, st, func(h hit, line int) {
			kind, principal, created, expires := identity(h.rule.RuleID, h.key, h.secret)
			if principal == "" && h.principal != "" {
				principal, kind = pairedKind(h.principal, kind)
			}
			f := Finding{Path: j.host, RuleID: h.rule.RuleID, Kind: kind, Principal: principal,
				Fingerprint: fp.Of(string(h.secret)), Key: h.key, Line: line, CreatedAt: created, ExpiresAt: expires}
			select {
			case results <- f:
			case <-ctx.Done():
			}
		})
	}
}

// pathFinding reports a file a path-only rule names (a PKCS#12 bundle):
// its fingerprint is that of the whole file, its line 0, as in gitleaks.
func (s *Scanner) pathFinding(ctx context.Context, j job, fp *secret.Fingerprinter, results chan<- Finding) {
	if !s.Config.KeepDecoys && decoy.Path(j.host) || s.Rules.pathAllowed(j.host) || j.size > 16<<20 {
		return
	}
	b, err := j.root.ReadFile(j.host, 16<<20)
	if err != nil {
		s.debug("read failed", j.host, err)
		return
	}
	f := Finding{Path: j.host, RuleID: j.pathRule.RuleID, Kind: kindOf(j.pathRule.RuleID), Fingerprint: fp.Of(string(b))}
	select {
	case results <- f:
	case <-ctx.Done():
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
	f, data, lo, ok := s.readChunk(j, buf, st)
	if !ok {
		return
	}
	defer f.Close()
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
	counted(j, st, len(data), own)
}

// reader is worker without matching, for ReadAll.
func (s *Scanner) reader(ctx context.Context, jobs <-chan job, st *stats) {
	buf := make([]byte, chunkSize+2*chunkOverlap)
	for j := range jobs {
		if ctx.Err() != nil {
			continue
		}
		if f, data, lo, ok := s.readChunk(j, buf, st); ok {
			f.Close()
			counted(j, st, len(data), int(j.off-lo))
		}
	}
}

// readChunk opens j's file and reads its chunk, with the overlap, into buf;
// lo is the file offset of data[0]. It returns false, the file closed, when
// the file is unreadable or binary.
func (s *Scanner) readChunk(j job, buf []byte, st *stats) (f *os.File, data []byte, lo int64, ok bool) {
	// Through the root, not the walked path: a file swapped for a FIFO, a
	// device or a link out of the root since the walk is refused here.
	f, err := j.root.Open(j.host)
	if err != nil {
		st.errors.Add(1)
		s.debug("open failed", j.host, err)
		return nil, nil, 0, false
	}
	if j.off > 0 {
		n, _ := f.ReadAt(buf[:binarySniff], 0)
		if isBinary(buf[:n]) {
			f.Close()
			return nil, nil, 0, false
		}
	}
	lo, hi := max(0, j.off-chunkOverlap), min(j.size, j.off+chunkSize+chunkOverlap)
	n, err := f.ReadAt(buf[:hi-lo], lo)
	if err != nil && !errors.Is(err, io.EOF) {
		f.Close()
		st.errors.Add(1)
		s.debug("read failed", j.host, err)
		return nil, nil, 0, false
	}
	data = buf[:n]
	if j.off == 0 && isBinary(data) {
		f.Close()
		st.skipped.Add(1)
		return nil, nil, 0, false
	}
	return f, data, lo, true
}

// counted adds a scanned chunk to the stats: the file once, the chunk's own
// bytes (not its overlap).
func counted(j job, st *stats, n, own int) {
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
