package authlog

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/nhiradar/nhiradar/plugins/sdk/hostfs"
)

// Limits on what one log can make the plugin do. A line past maxLine is
// skipped and counted; a compressed rotation is streamed and given up,
// with a warning, once it expands past maxExpanded bytes or maxRatio times
// its compressed size (syslog text compresses about 10 to 30 times;
// zeros, a thousand).
const (
	maxLine     = 64 << 10
	maxExpanded = 2 << 30
	maxRatio    = 200
)

// readLog parses one log file (gzipped when its name ends in .gz) and hands
// every use it proves to add, with the file as source. It reads on from
// where pos says an earlier scan stopped in the same file (by inode: a
// rotated file keeps its inode under its new name), and returns where it
// stopped: after the last complete line of a plain file, or done for a
// compressed one, which never changes.
func readLog(root hostfs.Root, path string, now time.Time, loc *time.Location, pos positions, add func(Use, string), reach *reach) error {
	f, err := root.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	inode := inodeOf(fi)
	prev, seen := pos.get(inode)
	handle := func(line string) {
		if l, ok := ParseSyslog(line, now, loc); ok {
			reach.saw(family(path), l.When)
			if u, ok := ParseMessage(l); ok {
				add(u, path)
			}
		}
	}
	if strings.HasSuffix(path, ".gz") {
		if seen && prev.Done {
			pos.set(inode, prev)
			return nil
		}
		gz, err := hostfs.Gunzip(f, maxExpanded, maxRatio)
		if err != nil {
			return err
		}
		_, skipped, err := scanLines(gz, handle)
		if err != nil {
			return err
		}
		root.Note(path, (hostfs.LineStats{Skipped: skipped}).Partial(path, maxLine))
		pos.set(inode, position{Done: true})
		return nil
	}
	var offset int64
	if seen && prev.Offset <= fi.Size() {
		offset = prev.Offset // else truncated in place: read from the start
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return err
	}
	n, skipped, err := scanLines(f, handle)
	if err != nil {
		return err
	}
	root.Note(path, (hostfs.LineStats{Skipped: skipped}).Partial(path, maxLine))
	pos.set(inode, position{Offset: offset + n})
	return nil
}

// scanLines hands fn every complete line of r and returns the bytes those
// lines took and how many were over maxLine: those are skipped, in memory
// for one buffer, and reading goes on after them. A last line without its
// newline is being written: it is left for the next scan.
func scanLines(r io.Reader, fn func(string)) (n int64, skipped int, err error) {
	br := bufio.NewReaderSize(r, maxLine+1)
	long := false
	for {
		chunk, err := br.ReadSlice('\n')
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			n += int64(len(chunk))
			if !long {
				skipped++
			}
			long = true
		case err == nil:
			n += int64(len(chunk))
			if !long {
				fn(strings.TrimRight(string(chunk), "\r\n"))
			}
			long = false
		case errors.Is(err, io.EOF):
			return n, skipped, nil
		default:
			return n, skipped, err
		}
	}
}

// journalSource names the live journal as the source of its evidence; an
// image's evidence names its journal directory.
const (
	journalSource = "journal"
	journalDir    = "/var/log/journal"
)

// readJournal reads sshd, sudo and su records from the journal: the live
// host's, or the persistent journal files of an image (--root).
func readJournal(ctx context.Context, root hostfs.Root, since string, add func(Use, string), reach *reach) error {
	bin, err := exec.LookPath("journalctl")
	if err != nil {
		return nil // no journal on this host
	}
	if since == "" {
		since = "-30d"
	}
	args, source := []string{"--no-pager", "-q", "-o", "json", "--since=" + since}, journalSource
	if !root.Live() {
		dir := root.Path(journalDir)
		if _, err := os.Stat(dir); err != nil {
			return nil // the image keeps no persistent journal
		}
		args, source = append(args, "--directory="+dir), journalDir
	}
	args = append(args, "SYSLOG_IDENTIFIER=sshd", "SYSLOG_IDENTIFIER=sshd-session", "SYSLOG_IDENTIFIER=sudo", "SYSLOG_IDENTIFIER=su")
	cmd := exec.CommandContext(ctx, bin, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	_, _, scanErr := scanLines(out, func(line string) {
		if l, ok := ParseJournal(line); ok {
			reach.saw(source, l.When)
			if u, ok := ParseMessage(l); ok {
				add(u, source)
			}
		}
	})
	if err := cmd.Wait(); err != nil && scanErr == nil {
		// journalctl's stderr is not kept: it could echo log content.
		return errors.New("journalctl failed: " + err.Error())
	}
	return scanErr
}

// ParseJournal reads one record of `journalctl -o json`.
func ParseJournal(line string) (Line, bool) {
	var rec struct {
		Realtime   string          `json:"__REALTIME_TIMESTAMP"`
		Identifier string          `json:"SYSLOG_IDENTIFIER"`
		Message    json.RawMessage `json:"MESSAGE"`
	}
	if json.Unmarshal([]byte(line), &rec) != nil {
		return Line{}, false
	}
	usec, err := strconv.ParseInt(rec.Realtime, 10, 64)
	if err != nil {
		return Line{}, false
	}
	var msg string
	if json.Unmarshal(rec.Message, &msg) != nil {
		var raw []byte // journald writes non-UTF-8 messages as byte arrays
		if json.Unmarshal(rec.Message, &raw) != nil {
			return Line{}, false
		}
		msg = string(raw)
	}
	return Line{When: time.UnixMicro(usec).UTC(), Program: rec.Identifier, Message: msg}, true
}

// reach is how far back and forward each source's records go in a full
// scan: the span in which a login, su or sudo would have been seen.
type reach struct{ spans map[string][2]time.Time }

func (r *reach) saw(source string, t time.Time) {
	if r == nil || t.IsZero() {
		return
	}
	if r.spans == nil {
		r.spans = map[string][2]time.Time{}
	}
	sp, ok := r.spans[source]
	if !ok || t.Before(sp[0]) {
		sp[0] = t
	}
	if !ok || t.After(sp[1]) {
		sp[1] = t
	}
	r.spans[source] = sp
}

// family names a log and its rotations as one source: auth.log,
// auth.log.1 and auth.log.2.gz together reach as far as the oldest.
func family(path string) string {
	p := strings.TrimSuffix(path, ".gz")
	if i := strings.LastIndexByte(p, '.'); i > 0 {
		if _, err := strconv.Atoi(p[i+1:]); err == nil {
			p = p[:i]
		}
	}
	return p
}
