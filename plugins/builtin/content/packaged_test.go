package content

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nhiradar/nhiradar/plugins/sdk"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// TestPackagedSkipped: the Go module cache, GOROOT, site-packages and a
// file as dpkg installed it are left out by default and counted in the
// summary; the options bring them back.
func TestPackagedSkipped(t *testing.T) {
	tok := "github_token: ghp_OhbVrpoiVgRV5IfLBcbfnoGMbJmTPSIAoCLr\n"
	sum := md5.Sum([]byte(tok))
	root := t.TempDir()
	for p, body := range map[string]string{
		"/root/go/pkg/mod/github.com/acme/lib@v1.2.0/conf.yaml":        tok,
		"/usr/local/go/src/crypto/conf.yaml":                           tok,
		"/opt/app/venv/lib/python3.12/site-packages/pkg/settings.yaml": tok,
		"/etc/vendorapp/vendor.yaml":                                   tok,
		"/etc/app/app.yaml":                                            tok,
		"/var/lib/dpkg/info/vendorapp.list":                            "/etc/vendorapp/vendor.yaml\n",
		"/var/lib/dpkg/info/vendorapp.md5sums":                         hex.EncodeToString(sum[:]) + "  etc/vendorapp/vendor.yaml\n",
	} {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run := func(opts map[string]string) (map[string]bool, string) {
		var logs bytes.Buffer
		got := map[string]bool{}
		p := &Plugin{}
		err := p.Scan(context.Background(), sdk.ScanRequest{Root: root, FingerprintKey: testKey, Options: opts,
			Log: slog.New(slog.NewTextHandler(&logs, nil))},
			func(e *event.Event) error {
				if e.Type == event.TypeNHIObserved {
					got[e.Location] = true
				}
				return nil
			})
		if err != nil {
			t.Fatal(err)
		}
		return got, logs.String()
	}
	got, logs := run(nil)
	if len(got) != 1 || !got["/etc/app/app.yaml"] {
		t.Errorf("by default want only /etc/app/app.yaml, got %v", got)
	}
	if !strings.Contains(logs, "skipped_package_cache=3") || !strings.Contains(logs, "skipped_os_package=1") {
		t.Errorf("summary does not count the skips: %s", logs)
	}
	got, _ = run(map[string]string{"skip_package_caches": "false", "skip_os_packages": "false",
		"paths": "/etc,/opt,/root,/usr/local"})
	// gitleaks' own path allowlist leaves site-packages out in any case.
	if len(got) != 4 || !got["/usr/local/go/src/crypto/conf.yaml"] || !got["/etc/vendorapp/vendor.yaml"] {
		t.Errorf("with the skips off want the 4 files gitleaks allows, got %v", got)
	}
}
