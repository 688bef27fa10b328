package packaged

import (
	"crypto/md5"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/nhiradar/nhiradar/plugins/sdk/hostfs"
)

func TestIsCache(t *testing.T) {
	for _, p := range []string{"/root/go/pkg/mod", "/home/dev/.pyenv/versions", "/usr/local/go", "/srv/app/node_modules",
		"/opt/venv/lib/python3.11/site-packages", "/home/dev/.cargo/registry", "/home/dev/.m2/repository",
		"/home/dev/.gem/ruby", "/home/dev/.cache/go-build", "/home/dev/sdk/go1.22.1", "/usr/local/lib/python3.12",
		"/opt/miniconda3/pkgs", "/home/dev/.npm"} {
		if !IsCache(p) {
			t.Errorf("IsCache(%q) = false", p)
		}
	}
	for _, p := range []string{"/home/dev/.m2", "/home/dev/.cargo", "/home/dev/.gem", "/home/dev/go", "/srv/app",
		"/etc/ssl/private", "/usr/local/bin", "/home/dev/src/mod"} {
		if IsCache(p) {
			t.Errorf("IsCache(%q) = true", p)
		}
	}
}

func sum(s string) string {
	b := md5.Sum([]byte(s))
	return hex.EncodeToString(b[:])
}

// TestDpkgOwned: a file dpkg installed is skipped while its content is as
// packaged; one the operator changed, one dpkg does not list (a key
// generated on the host) and one outside the scanned paths are not.
func TestDpkgOwned(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{
		"/etc/foo/vendor.pem":       "vendor cert",
		"/etc/foo/shipped.conf":     "as shipped",
		"/etc/foo/edited.conf":      "password = operator's own",
		"/etc/foo/new.conf":         "new conffile",
		"/etc/ssl/private/host.key": "generated on the host",
		"/var/lib/dpkg/info/foo.list": "/etc\n/etc/foo\n/etc/foo/vendor.pem\n/etc/foo/shipped.conf\n/etc/foo/edited.conf\n" +
			"/etc/foo/new.conf\n/usr/share/foo/x\n",
		"/var/lib/dpkg/info/foo.md5sums": sum("vendor cert") + "  etc/foo/vendor.pem\n",
		"/var/lib/dpkg/status": "Package: foo\nConffiles:\n /etc/foo/shipped.conf " + sum("as shipped") + "\n" +
			" /etc/foo/edited.conf " + sum("as shipped") + "\n /etc/foo/new.conf newconffile\n",
	}
	for p, body := range files {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s, err := New(hostfs.New(root), nil, []string{"/etc"})
	if err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]bool{"/etc/foo/vendor.pem": true, "/etc/foo/shipped.conf": true,
		"/etc/foo/edited.conf": false, "/etc/foo/new.conf": false, "/etc/ssl/private/host.key": false} {
		if got := s.File(p); got != want {
			t.Errorf("File(%q) = %v, want %v", p, got, want)
		}
	}
	if c := s.Counts()[ReasonOSPackage]; c != 2 {
		t.Errorf("counted %d OS package files, want 2", c)
	}
	if _, ok := s.owned["/usr/share/foo/x"]; ok {
		t.Error("a file outside the scanned paths was kept")
	}
	off, err := New(hostfs.New(root), map[string]string{OptOSPackages: "false", OptPackageCaches: "false"}, []string{"/etc"})
	if err != nil {
		t.Fatal(err)
	}
	if off.File("/etc/foo/vendor.pem") || off.Dir("/root/go/pkg/mod") {
		t.Error("skips turned off by option still skip")
	}
	if _, err := New(hostfs.New(root), map[string]string{OptOSPackages: "maybe"}, nil); err == nil {
		t.Error("a bad boolean option was accepted")
	}
}

// TestGorootAnywhere: a Go toolchain outside the usual places is known by
// its VERSION file and src/runtime; a project named go is not.
func TestGorootAnywhere(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"/opt/go1.22.4/src/runtime", "/srv/gopher/src/runtime", "/srv/goapp/src"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"/opt/go1.22.4/VERSION", "/srv/goapp/VERSION"} {
		if err := os.WriteFile(filepath.Join(root, f), []byte("go1.22.4\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s, err := New(hostfs.New(root), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for d, want := range map[string]bool{"/opt/go1.22.4": true, "/srv/gopher": false, "/srv/goapp": false} {
		if got := s.Dir(d); got != want {
			t.Errorf("Dir(%q) = %v, want %v", d, got, want)
		}
	}
}
