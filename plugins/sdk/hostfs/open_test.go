package hostfs

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestOpenRefusesWhatIsNotARegularFile: a FIFO must not block, a device
// must not be read, and both are named as such.
func TestOpenRefusesWhatIsNotARegularFile(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "etc/hostname"), "host\n")
	if err := syscall.Mkfifo(filepath.Join(root, "etc/passwd"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mknod(filepath.Join(root, "etc/group"), syscall.S_IFCHR|0o644, 1<<8|5); err != nil {
		t.Fatal(err) // /dev/zero's numbers; the tests run as root
	}
	if err := os.Symlink("/dev/zero", filepath.Join(root, "etc/sudoers")); err != nil {
		t.Fatal(err)
	}
	r := New(root)
	cases := map[string]string{"/etc/passwd": "named pipe", "/etc/group": "character device", "/etc": "directory"}
	for p, kind := range cases {
		done := make(chan error, 1)
		go func() { _, err := r.ReadFile(p, 1<<20); done <- err }()
		select {
		case err := <-done:
			if !errors.Is(err, ErrNotRegular) || !strings.Contains(Reason(err), kind) {
				t.Errorf("%s: err %v (reason %q), want ErrNotRegular naming %q", p, err, Reason(err), kind)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: ReadFile blocked", p)
		}
	}
	// The link's target is resolved in the root: <root>/dev/zero does not exist.
	if _, err := r.ReadFile("/etc/sudoers", 1<<20); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("link to /dev/zero: %v, want not found inside the root", err)
	}
	if b, err := r.ReadFile("/etc/hostname", 1<<20); err != nil || string(b) != "host\n" {
		t.Errorf("regular file: %q %v", b, err)
	}
}

func TestLinksStayInsideTheRoot(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "secret")
	writeFile(t, outside, "scanning machine's file")
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "var/real/auth.log"), "image log")
	for link, target := range map[string]string{
		"etc/abs":      outside,
		"etc/dotdot":   "../../../../../../../../" + outside,
		"var/log":      "/var/log", // what a mounted image with /var/log -> /var/log looks like
		"etc/loop":     "loop",
		"home/in/link": "/var/real/auth.log",
	} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, link)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
			t.Fatal(err)
		}
	}
	r := New(root)
	for _, p := range []string{"/etc/abs", "/etc/dotdot", "/var/log/auth.log", "/etc/loop"} {
		b, err := r.ReadFile(p, 1<<20)
		if err == nil {
			t.Errorf("%s: read %q through a link out of the root", p, b)
		}
		if strings.Contains(Reason(err), "scanning machine") {
			t.Errorf("%s: reason holds content: %q", p, Reason(err))
		}
	}
	if b, err := r.ReadFile("/home/in/link", 1<<20); err != nil || string(b) != "image log" {
		t.Errorf("absolute link inside the image: %q %v", b, err)
	}
	if _, err := r.OpenNoFollow("/home/in/link"); !errors.Is(err, ErrLink) {
		t.Errorf("OpenNoFollow on a link: %v, want ErrLink", err)
	}
	if _, err := r.OpenNoFollow("/etc/loop"); !errors.Is(err, ErrLink) {
		t.Errorf("OpenNoFollow on a link loop: %v, want ErrLink", err)
	}
}

func TestReadFileRefusesOversizeWithoutReadingIt(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "big"), strings.Repeat("x", 4097))
	writeFile(t, filepath.Join(root, "fits"), strings.Repeat("x", 4096))
	r := New(root)
	if _, err := r.ReadFile("/big", 4096); !errors.Is(err, ErrTooLarge) || Reason(err) != "over the size limit (4096 bytes)" {
		t.Errorf("oversize: %v / %q", err, Reason(err))
	}
	if b, err := r.ReadFile("/fits", 4096); err != nil || len(b) != 4096 {
		t.Errorf("at the limit: %d %v", len(b), err)
	}
	// /proc files report size 0 but have content: the limit holds as it streams.
	if b, err := New("/").ReadFile("/proc/self/status", 1<<20); err != nil || !bytes.Contains(b, []byte("Name:")) {
		t.Errorf("zero-size proc file: %v", err)
	}
}

func TestLinesSkipsOverlongLinesAndGoesOn(t *testing.T) {
	in := "a\n" + strings.Repeat("x", 100_000) + "\nb\r\n\nc" // last line without newline
	var got []string
	st, err := Lines(strings.NewReader(in), 64, func(_ int, l []byte) error { got = append(got, string(l)); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "a,b,,c" || st.Skipped != 1 || st.Lines != 4 {
		t.Fatalf("got %q, stats %+v", got, st)
	}
	if Reason(st.Partial("/etc/passwd", 64)) != "1 line(s) over the 64-byte line limit skipped" {
		t.Errorf("reason %q", Reason(st.Partial("/etc/passwd", 64)))
	}
	if st.Partial("/x", 64) == nil || (LineStats{Lines: 3}).Partial("/x", 64) != nil {
		t.Error("Partial must be nil exactly when nothing was skipped")
	}
	// Exactly max bytes is a line, max+1 is not.
	st, _ = Lines(strings.NewReader(strings.Repeat("y", 64)+"\n"+strings.Repeat("z", 65)), 64, func(int, []byte) error { return nil })
	if st.Lines != 1 || st.Skipped != 1 {
		t.Errorf("boundary: %+v", st)
	}
}

func TestPasswdLineOverLimitHidesNoLaterAccount(t *testing.T) {
	in := "root:x:0:0::/root:/bin/bash\n" + strings.Repeat("g", 100_000) + "\ndeploy:x:998:998::/srv:/bin/sh\n"
	got, err := ParsePasswd(strings.NewReader(in))
	var skipped *LinesSkipped
	if !errors.As(err, &skipped) || skipped.Lines != 1 {
		t.Fatalf("err %v, want one skipped line", err)
	}
	if len(got) != 2 || got[1].Name != "deploy" {
		t.Fatalf("accounts after the long line lost: %+v", got)
	}
}

func TestGunzipCapsOutputAndRatio(t *testing.T) {
	var zeros bytes.Buffer
	zw := gzip.NewWriter(&zeros)
	chunk := make([]byte, 1<<20)
	for i := 0; i < 64; i++ {
		zw.Write(chunk)
	}
	zw.Close()
	rd, err := Gunzip(bytes.NewReader(zeros.Bytes()), 1<<30, 100)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, rd)
	if !errors.Is(err, ErrBomb) || n > 4<<20 {
		t.Fatalf("64 MiB of zeros from %d bytes: read %d, err %v; want ErrBomb early on the ratio", zeros.Len(), n, err)
	}
	rd, _ = Gunzip(bytes.NewReader(zeros.Bytes()), 2<<20, 1<<20)
	if _, err := io.Copy(io.Discard, rd); !errors.Is(err, ErrBomb) || !strings.Contains(Reason(err), "2097152 bytes") {
		t.Fatalf("output cap: %v / %q", err, Reason(err))
	}
	var text bytes.Buffer
	zw = gzip.NewWriter(&text)
	zw.Write([]byte("Dec  1 10:00:00 host sshd[1]: Accepted publickey for deploy\n"))
	zw.Close()
	rd, _ = Gunzip(&text, 1<<20, 100)
	if b, err := io.ReadAll(rd); err != nil || !bytes.Contains(b, []byte("deploy")) {
		t.Fatalf("ordinary log: %q %v", b, err)
	}
}
