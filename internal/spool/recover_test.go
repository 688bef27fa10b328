package spool

import (
	"bytes"
	"crypto/rand"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nhiradar/nhiradar/internal/testlog"
)

// spoolWithRecords writes n records to a fresh spool file at path and
// closes it, returning bbolt's page size.
func spoolWithRecords(t *testing.T, path string, n int) int {
	t.Helper()
	s, err := Open(path, 64<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if err := s.Append(Record{Key: []byte("h"), Value: bytes.Repeat([]byte{'v'}, 500)}); err != nil {
			t.Fatal(err)
		}
	}
	ps := s.db.Info().PageSize
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return ps
}

// garble overwrites pages [from, to) of the file with random bytes.
func garble(t *testing.T, path string, pageSize, from, to int) []byte {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	junk := make([]byte, (to-from)*pageSize)
	_, _ = rand.Read(junk)
	if _, err := f.WriteAt(junk, int64(from*pageSize)); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func openLogged(t *testing.T, path string) (*Spool, *testlog.Buffer) {
	t.Helper()
	logs := &testlog.Buffer{}
	s, err := Open(path, 64<<20, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatalf("Open of a damaged spool: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, logs
}

func asideFiles(t *testing.T, path string) []string {
	t.Helper()
	m, err := filepath.Glob(path + ".corrupt-*")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestDamagedSpoolIsMovedAside garbles pages 2-5 of a spool holding
// records (its freelist and tree pages): Open neither fails nor panics; it
// keeps the damaged file aside, logs it once, counts the reset and returns
// a working empty spool, which still says so after a restart.
func TestDamagedSpoolIsMovedAside(t *testing.T) {
	path := filepath.Join(t.TempDir(), "spool.db")
	ps := spoolWithRecords(t, path, 200)
	damaged := garble(t, path, ps, 2, 6)

	s, logs := openLogged(t, path)
	if st := s.Stats(); st.Depth != 0 || st.Bytes != 0 || st.Resets != 1 {
		t.Fatalf("Stats after reset = %+v, want empty with Resets 1", st)
	}
	aside := asideFiles(t, path)
	if len(aside) != 1 {
		t.Fatalf("moved-aside files: %v, want one", aside)
	}
	if kept, err := os.ReadFile(aside[0]); err != nil || !bytes.Equal(kept, damaged) {
		t.Fatalf("moved-aside file differs from the damaged one (%v)", err)
	}
	if l := logs.String(); strings.Count(l, "spool file damaged") != 1 || !strings.Contains(l, "moved_to="+aside[0]) ||
		!strings.Contains(l, "file="+path) {
		t.Fatalf("want one warning naming both files:\n%s", l)
	}
	if err := s.Append(rec(1)); err != nil {
		t.Fatal(err)
	}
	if es, err := s.Peek(10, 1<<20); err != nil || len(es) != 1 || string(es[0].Value) != "event-000001" {
		t.Fatalf("fresh spool Peek = %v, %v", values(es), err)
	}
	s.Close()

	s2, logs2 := openLogged(t, path)
	if st := s2.Stats(); st.Depth != 1 || st.Resets != 1 || len(asideFiles(t, path)) != 1 || logs2.String() != "" {
		t.Fatalf("reopened fresh spool: %+v, aside %v, log %q", st, asideFiles(t, path), logs2)
	}
}

// TestGarbageSpoolIsMovedAside: a file that is not a bbolt file at all (a
// truncated write, another program's file) is treated the same way.
func TestGarbageSpoolIsMovedAside(t *testing.T) {
	path := filepath.Join(t.TempDir(), "spool.db")
	junk := make([]byte, 64<<10)
	_, _ = rand.Read(junk)
	if err := os.WriteFile(path, junk, 0o600); err != nil {
		t.Fatal(err)
	}
	s, _ := openLogged(t, path)
	if st := s.Stats(); st.Resets != 1 || st.Depth != 0 || len(asideFiles(t, path)) != 1 {
		t.Fatalf("Stats %+v, aside %v", st, asideFiles(t, path))
	}
}

// TestLockedSpoolIsNotMovedAside: a spool held by another agent is not
// damaged; it must stay where it is.
func TestLockedSpoolIsNotMovedAside(t *testing.T) {
	path := filepath.Join(t.TempDir(), "spool.db")
	open(t, path, 1<<20)
	if _, err := Open(path, 1<<20, nil); err == nil || !strings.Contains(err.Error(), "locked") {
		t.Fatalf("second Open: %v", err)
	}
	if a := asideFiles(t, path); len(a) != 0 {
		t.Fatalf("a locked spool was moved aside: %v", a)
	}
}

// TestOnlyNewestDamagedFilesAreKept: past keepAside damaged files, the
// oldest are removed, so that repeated damage cannot fill the disk.
func TestOnlyNewestDamagedFilesAreKept(t *testing.T) {
	path := filepath.Join(t.TempDir(), "spool.db")
	for _, stamp := range []string{"20200101T000000.000000000Z", "20200102T000000.000000000Z", "20200103T000000.000000000Z"} {
		if err := os.WriteFile(path+".corrupt-"+stamp, []byte("old"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(path, []byte("not a bbolt file, long enough to be read as one................."), 0o600); err != nil {
		t.Fatal(err)
	}
	openLogged(t, path)
	kept := asideFiles(t, path)
	// Sorted by name, hence by time: the oldest went, the new one stays.
	if len(kept) != keepAside || !strings.HasSuffix(kept[0], ".corrupt-20200102T000000.000000000Z") ||
		strings.Contains(kept[keepAside-1], ".corrupt-2020") {
		t.Fatalf("kept %v, want the %d newest", kept, keepAside)
	}
}
