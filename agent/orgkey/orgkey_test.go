//go:build unix

package orgkey

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestKeyFileMustBeRegular(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "key")
	if err := os.WriteFile(good, []byte("an-organisation-key-of-enough-bytes\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if k, ok, err := Load(good); err != nil || !ok || string(k) != "an-organisation-key-of-enough-bytes" {
		t.Fatalf("regular key file: %q, %v, %v", k, ok, err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, _, err := Load(fifo); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Fatalf("FIFO as key file: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Load hangs on a FIFO")
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, make([]byte, 1<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Load(big); err == nil || !strings.Contains(err.Error(), "too large") {
		t.Fatalf("oversize key file: %v", err)
	}
}

// TestKeyFromCredential: run by a service manager that passes the key as
// a credential, a one-shot scan needs no key in its environment; a named
// file still wins.
func TestKeyFromCredential(t *testing.T) {
	t.Setenv(EnvVar, "")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "fingerprint-key"), []byte("the-organisation-key-as-a-credential\n"), 0o400); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := Load(""); ok || err != nil {
		t.Fatalf("no key anywhere: ok %v, %v", ok, err)
	}
	t.Setenv("CREDENTIALS_DIRECTORY", dir)
	if k, ok, err := Load(""); err != nil || !ok || string(k) != "the-organisation-key-as-a-credential" {
		t.Fatalf("credential: %q, %v, %v", k, ok, err)
	}
	file := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(file, []byte("the-organisation-key-from-a-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if k, _, err := Load(file); err != nil || string(k) != "the-organisation-key-from-a-file" {
		t.Fatalf("file beside a credential: %q, %v", k, err)
	}
}
