package spool

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

func open(t *testing.T, path string, max int64) *Spool {
	t.Helper()
	s, err := Open(path, max, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func rec(i int) Record {
	return Record{Key: []byte("host-a"), Value: []byte(fmt.Sprintf("event-%06d", i))}
}

func values(es []Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, string(e.Value))
	}
	return out
}

func TestOrderedDrainAndRemove(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "spool.db"), 1<<20)
	for i := 1; i <= 5; i++ {
		if err := s.Append(rec(i)); err != nil {
			t.Fatal(err)
		}
	}
	es, err := s.Peek(3, 1<<20)
	if err != nil || strings.Join(values(es), ",") != "event-000001,event-000002,event-000003" || string(es[0].Key) != "host-a" {
		t.Fatalf("Peek = %v, %v", values(es), err)
	}
	if err := s.Remove(es[2].Seq); err != nil {
		t.Fatal(err)
	}
	es, _ = s.Peek(10, 1<<20)
	if strings.Join(values(es), ",") != "event-000004,event-000005" {
		t.Fatalf("after Remove: %v", values(es))
	}
	if st := s.Stats(); st.Depth != 2 || st.Bytes != 2*entrySize(6, 12) || st.Dropped != 0 {
		t.Fatalf("Stats = %+v", st)
	}
}

func TestPeekStopsAtBytes(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "spool.db"), 1<<20)
	_ = s.Append(rec(1), rec(2), rec(3))
	if es, _ := s.Peek(10, 30); len(es) != 1 {
		t.Fatalf("Peek with 30 bytes returned %d entries, want 1", len(es))
	}
}

func TestFullSpoolDropsOldestAndCounts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "spool.db")
	max := 10 * entrySize(6, 12)
	s := open(t, path, max)
	for i := 1; i <= 25; i++ {
		if err := s.Append(rec(i)); err != nil {
			t.Fatal(err)
		}
	}
	st := s.Stats()
	es, _ := s.Peek(100, 1<<20)
	if st.Depth != 10 || st.Dropped != 15 || values(es)[0] != "event-000016" || st.Bytes > max {
		t.Fatalf("Stats = %+v, first = %v", st, values(es)[0])
	}
	// A record larger than the whole spool is dropped and counted too.
	if err := s.Append(Record{Value: make([]byte, max)}); err != nil || s.Stats().Dropped != 16 {
		t.Fatalf("oversized record: %v, %+v", err, s.Stats())
	}
	s.Close()
	s2 := open(t, path, max)
	if st2 := s2.Stats(); st2.Depth != 10 || st2.Dropped != 16 {
		t.Fatalf("after reopen Stats = %+v", st2)
	}
}

func TestFileIsPrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	path := filepath.Join(dir, "spool.db")
	open(t, path, 1<<20)
	for p, want := range map[string]os.FileMode{path: 0o600, dir: 0o700} {
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm() != want {
			t.Fatalf("%s: mode %v, %v; want %v", p, fi.Mode().Perm(), err, want)
		}
	}
}

func TestSecondOpenIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "spool.db")
	open(t, path, 1<<20)
	if _, err := Open(path, 1<<20, nil); err == nil || !strings.Contains(err.Error(), "locked") {
		t.Fatalf("second Open: %v", err)
	}
}

// TestSIGKILLLosesNothingSpooled runs a child process that appends records
// to a spool small enough to overflow, reporting each append that returned;
// the child is killed with SIGKILL and the spool reopened: every record whose
// append returned is there or was counted as dropped, oldest first.
func TestSIGKILLLosesNothingSpooled(t *testing.T) {
	if os.Getenv("NHI_SPOOL_CHILD") != "" {
		spoolChild()
		return
	}
	path := filepath.Join(t.TempDir(), "spool.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestSIGKILLLosesNothingSpooled$")
	cmd.Env = append(os.Environ(), "NHI_SPOOL_CHILD="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	acked := 0
	for sc.Scan() {
		if n, err := strconv.Atoi(strings.TrimPrefix(sc.Text(), "acked ")); err == nil {
			acked = n
		}
		if acked >= 300 {
			break
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if acked < 300 {
		t.Fatalf("child acknowledged only %d appends", acked)
	}
	s := open(t, path, childMax)
	st := s.Stats()
	es, err := s.Peek(1<<20, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(es)) != st.Depth || st.Dropped == 0 {
		t.Fatalf("Stats = %+v with %d entries; want a full spool that dropped some", st, len(es))
	}
	// Entries are contiguous, start right after the dropped ones, and reach
	// at least the last append the child saw return.
	for i, e := range es {
		if want := fmt.Sprintf("event-%06d", int(st.Dropped)+i+1); string(e.Value) != want {
			t.Fatalf("entry %d = %s, want %s", i, e.Value, want)
		}
	}
	if last := int(st.Dropped) + len(es); last < acked {
		t.Fatalf("last spooled record %d, but the child saw %d appends return", last, acked)
	}
}

const childMax = 100 * (6 + 12 + overhead)

func spoolChild() {
	s, err := Open(os.Getenv("NHI_SPOOL_CHILD"), childMax, nil)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	for i := 1; ; i++ {
		if err := s.Append(rec(i)); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Printf("acked %d\n", i)
	}
}

// TestReleaseDropsMappedPages: after a drained burst, Release takes the
// spool file's pages out of the resident set, and the spool still reads
// and writes correctly afterwards.
func TestReleaseDropsMappedPages(t *testing.T) {
	path := filepath.Join(t.TempDir(), "spool.db")
	s, err := Open(path, 64<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	value := bytes.Repeat([]byte("e"), 700)
	for i := 0; i < 6000; i++ {
		if err := s.Append(Record{Key: []byte("h"), Value: value}); err != nil {
			t.Fatal(err)
		}
	}
	for {
		es, err := s.Peek(500, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		if len(es) == 0 {
			break
		}
		if err := s.Remove(es[len(es)-1].Seq); err != nil {
			t.Fatal(err)
		}
	}
	before := mappedKB(t, path)
	if before < 1024 {
		t.Fatalf("only %d KB of the spool file resident after a 4 MB burst: nothing to measure", before)
	}
	if err := s.Release(); err != nil {
		t.Fatal(err)
	}
	if after := mappedKB(t, path); after*4 > before {
		t.Fatalf("resident spool pages: %d KB before Release, %d KB after", before, after)
	}
	if err := s.Append(Record{Key: []byte("h"), Value: []byte("after")}); err != nil {
		t.Fatal(err)
	}
	es, err := s.Peek(10, 1<<20)
	if err != nil || len(es) != 1 || string(es[0].Value) != "after" {
		t.Fatalf("after Release: %v, %v", es, err)
	}
}

// mappedKB returns the resident kilobytes of this process's mappings of path.
func mappedKB(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	kb, in := 0, false
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 5 && strings.Contains(f[0], "-"):
			in = f[len(f)-1] == path
		case in && len(f) >= 2 && f[0] == "Rss:":
			n, _ := strconv.Atoi(f[1])
			kb += n
		}
	}
	return kb
}

// TestStrictRefusesInsteadOfDropping: the outbox's mode keeps every entry
// and refuses the append that would pass the bound, whole.
func TestStrictRefusesInsteadOfDropping(t *testing.T) {
	s, err := OpenStrict(filepath.Join(t.TempDir(), "outbox.db"), 100, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Append(Record{Key: []byte("a"), Value: make([]byte, 40)}); err != nil {
		t.Fatal(err)
	}
	err = s.Append(Record{Key: []byte("b"), Value: make([]byte, 20)}, Record{Key: []byte("c"), Value: make([]byte, 40)})
	if !errors.Is(err, ErrFull) {
		t.Fatalf("append over the bound: %v, want ErrFull", err)
	}
	got, err := s.Peek(10, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || string(got[0].Key) != "a" || s.Stats().Dropped != 0 {
		t.Fatalf("after a refused append: %d entries, dropped %d; want the first entry only, nothing dropped", len(got), s.Stats().Dropped)
	}
}

// TestRemoveEntries: only the entries named go, the ones before them
// stay, and the stats follow, also after a reopen.
func TestRemoveEntries(t *testing.T) {
	path := filepath.Join(t.TempDir(), "spool.db")
	s := open(t, path, 1<<20)
	for i := 1; i <= 5; i++ {
		if err := s.Append(rec(i)); err != nil {
			t.Fatal(err)
		}
	}
	es, _ := s.Peek(10, 1<<20)
	if err := s.RemoveEntries(es[1].Seq, es[3].Seq, es[3].Seq+100); err != nil {
		t.Fatal(err)
	}
	es, _ = s.Peek(10, 1<<20)
	if got := strings.Join(values(es), ","); got != "event-000001,event-000003,event-000005" {
		t.Fatalf("after RemoveEntries: %v", got)
	}
	if st := s.Stats(); st.Depth != 3 || st.Bytes != 3*entrySize(6, 12) {
		t.Fatalf("Stats = %+v", st)
	}
	s.Close()
	s = open(t, path, 1<<20)
	if st := s.Stats(); st.Depth != 3 {
		t.Fatalf("Stats after reopen = %+v", st)
	}
}
