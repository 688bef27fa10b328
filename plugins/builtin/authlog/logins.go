package authlog

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"time"

	"github.com/nhiradar/nhiradar/plugins/builtin/accounts"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
	"github.com/nhiradar/nhiradar/plugins/sdk/hostfs"
)

// Login records: wtmp (every login, struct utmp) and lastlog (each uid's
// last login, struct lastlog at offset uid*size), in glibc's x86-64 and
// aarch64 layout. They prove use of accounts that never appear in an auth
// log (console logins, sessions without syslog).
const (
	utmpSize     = 384
	userProcess  = 7 // ut_type of a login session
	lastlogSize  = 292
	maxWtmpBytes = 1 << 30 // a decade of logins on a busy host; past it the rest is unread, with a warning
)

// wtmpFiles are the login histories, current and rotated.
var wtmpFiles = []string{"/var/log/wtmp", "/var/log/wtmp.1"}

// readWtmp hands every login session of a wtmp file to add, streaming
// fixed-size records.
func readWtmp(root hostfs.Root, path string, add func(Use, string), reach *reach) error {
	f, err := root.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	br := bufio.NewReaderSize(io.LimitReader(f, maxWtmpBytes), 64<<10)
	rec := make([]byte, utmpSize)
	for {
		if _, err := io.ReadFull(br, rec); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				break // a torn last record is a login being written
			}
			return err
		}
		if u, ok := parseUtmp(rec); ok {
			reach.saw("/var/log/wtmp", u.When)
			add(u, path)
		}
	}
	var one [1]byte
	if n, _ := f.Read(one[:]); n > 0 {
		root.Note(path, hostfs.ErrTooLarge)
	}
	return nil
}

// parseUtmp reads one struct utmp: a login session's user, source and time.
func parseUtmp(b []byte) (Use, bool) {
	if int16(binary.LittleEndian.Uint16(b[0:])) != userProcess {
		return Use{}, false
	}
	user, host, line := cstring(b[44:76]), cstring(b[76:332]), cstring(b[8:40])
	sec := int64(int32(binary.LittleEndian.Uint32(b[340:])))
	if user == "" || sec <= 0 {
		return Use{}, false
	}
	actor := host
	if actor == "" {
		actor = line // a console login: tty1
	}
	return Use{Evidence: string(event.EvidenceLogin), Account: user, Actor: actor, When: time.Unix(sec, 0).UTC()}, true
}

// readLastlog hands each account's last login to add: one pread per
// account at its uid's offset, since the file is sparse (holes up to the
// highest uid).
func readLastlog(root hostfs.Root, list []accounts.Account, add func(Use, string)) error {
	f, err := root.Open("/var/log/lastlog")
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	rec := make([]byte, lastlogSize)
	for _, a := range list {
		if a.UID < 0 {
			continue
		}
		if _, err := f.ReadAt(rec, int64(a.UID)*lastlogSize); err != nil {
			continue // past the end: never logged in
		}
		sec := int64(int32(binary.LittleEndian.Uint32(rec[0:])))
		if sec <= 0 {
			continue
		}
		actor := cstring(rec[36:292])
		if actor == "" {
			actor = cstring(rec[4:36])
		}
		add(Use{Evidence: string(event.EvidenceLogin), Account: a.Name, Actor: actor, When: time.Unix(sec, 0).UTC()}, "/var/log/lastlog")
	}
	return nil
}

func cstring(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(bytes.ToValidUTF8(b, nil))
}
