//go:build unix

package publish

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestTLSFilesMustBeRegular: a FIFO at a TLS file's path is refused at
// once; reading it would hang the agent's start.
func TestTLSFilesMustBeRegular(t *testing.T) {
	dir := t.TempDir()
	cert, key := writeCert(t, dir)
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for name, opts := range map[string]TLSOptions{
		"ca":   {CAFile: fifo},
		"cert": {CertFile: fifo, KeyFile: key},
		"key":  {CertFile: cert, KeyFile: fifo},
	} {
		done := make(chan error, 1)
		go func() { _, err := TLSConfig(opts); done <- err }()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), "not a regular file") {
				t.Fatalf("%s file a FIFO: %v", name, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s file a FIFO: TLSConfig hangs", name)
		}
	}
}
