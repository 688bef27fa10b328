package hostfs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPathMapping(t *testing.T) {
	r := New("/mnt/img")
	if got := r.Path("/etc/passwd"); got != "/mnt/img/etc/passwd" {
		t.Errorf("Path = %s", got)
	}
	if got := r.Path("../../etc/shadow"); got != "/mnt/img/etc/shadow" {
		t.Errorf("Path must not climb out of the root: %s", got)
	}
	if got := r.HostPath("/mnt/img/home/alice/.aws/credentials"); got != "/home/alice/.aws/credentials" {
		t.Errorf("HostPath = %s", got)
	}
	if !New("").Live() || !New("/").Live() || r.Live() {
		t.Error("Live is wrong")
	}
}

// TestSymlinkOutOfRootRefused: an image whose file links to an absolute path
// must not make the scanner read the scanning machine's own file.
func TestSymlinkOutOfRootRefused(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "host-secret")
	if err := os.WriteFile(outside, []byte("scanner's own file"), 0o600); err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(root, "etc", "escape")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../etc/real", filepath.Join(root, "etc", "inside")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "etc", "real"), []byte("image file"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := New(root)
	if b, err := r.ReadFile("/etc/escape", 1<<20); err == nil {
		t.Fatalf("read through a symlink out of the root: %q", b)
	}
	if b, err := r.ReadFile("/etc/inside", 1<<20); err != nil || string(b) != "image file" {
		t.Fatalf("a symlink within the root must work: %q %v", b, err)
	}
}

func TestParsePasswd(t *testing.T) {
	got, err := ParsePasswd(strings.NewReader("# comment\nroot:x:0:0:root:/root:/bin/bash\nbroken line\ndeploy:x:998:998::/var/lib/deploy:/usr/sbin/nologin\n"))
	if err != nil || len(got) != 2 || got[1].Name != "deploy" || got[1].UID != 998 || got[1].Shell != "/usr/sbin/nologin" {
		t.Fatalf("got %+v", got)
	}
}

// Accounts parses /etc/passwd once per version of the file: a changed file
// is read again, and callers get their own copy.
func TestAccountsFollowChangesOfPasswd(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	passwd := filepath.Join(dir, "etc", "passwd")
	write := func(text string) {
		t.Helper()
		if err := os.WriteFile(passwd, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	root := New(dir)
	write("root:x:0:0:root:/root:/bin/bash\n")
	first, err := root.Accounts()
	if err != nil || len(first) != 1 {
		t.Fatalf("accounts: %v, %v", first, err)
	}
	first[0].Name = "changed by a caller"
	if again, _ := root.Accounts(); again[0].Name != "root" {
		t.Fatalf("a caller's change leaked into the next call: %v", again)
	}
	write("root:x:0:0:root:/root:/bin/bash\ndeploy:x:1001:1001::/home/deploy:/bin/sh\n")
	if now, _ := root.Accounts(); len(now) != 2 || now[1].Name != "deploy" {
		t.Fatalf("after /etc/passwd changed: %v", now)
	}
	if err := os.Remove(passwd); err != nil {
		t.Fatal(err)
	}
	if none, err := root.Accounts(); err != nil || len(none) != 0 {
		t.Fatalf("without /etc/passwd: %v, %v", none, err)
	}
}
