package sshkeys

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nhiradar/nhiradar/plugins/sdk/hostfs"
)

func TestExpand(t *testing.T) {
	cases := map[string]string{
		".ssh/authorized_keys":        "/home/ann/.ssh/authorized_keys",
		"/etc/ssh/keys/%u":            "/etc/ssh/keys/ann",
		"%h/.ssh/keys_%u":             "/home/ann/.ssh/keys_ann",
		"/etc/ssh/100%%/%u":           "/etc/ssh/100%/ann",
		"/etc/ssh/keys/%U":            "",
		"/etc/ssh/keys/%u/../../x/%u": "/etc/ssh/x/ann",
	}
	for pattern, want := range cases {
		got, ok := expand(pattern, "ann", "/home/ann")
		if (want == "") == ok || got != want {
			t.Errorf("%s: %q %v, want %q", pattern, got, ok, want)
		}
	}
	if _, ok := expand("/etc/ssh/keys/%u", "", "/home/x"); ok {
		t.Error("%u expanded without an account")
	}
}

func TestAuthorizedPatterns(t *testing.T) {
	cases := []struct{ config, include, want string }{
		{"", "", ".ssh/authorized_keys .ssh/authorized_keys2"},
		{"AuthorizedKeysFile none\n", "", ""},
		{"Include conf.d/*.conf\nAuthorizedKeysFile .ssh/a\n", "AuthorizedKeysFile /k/%u\n", "/k/%u"},
		{"Match User git\n  AuthorizedKeysFile /git/%u\n", "", ".ssh/authorized_keys .ssh/authorized_keys2"},
	}
	for i, c := range cases {
		dir := t.TempDir()
		_ = os.MkdirAll(filepath.Join(dir, "etc/ssh/conf.d"), 0o755)
		if c.config != "" {
			_ = os.WriteFile(filepath.Join(dir, "etc/ssh/sshd_config"), []byte(c.config), 0o644)
		}
		if c.include != "" {
			_ = os.WriteFile(filepath.Join(dir, "etc/ssh/conf.d/a.conf"), []byte(c.include), 0o644)
		}
		if got := strings.Join(authorizedPatterns(hostfs.New(dir)), " "); got != c.want {
			t.Errorf("case %d: %q, want %q", i, got, c.want)
		}
	}
}

// TestHomeIsNotADirectory: accounts with a home of /dev/null are common and
// are no error.
func TestHomeIsNotADirectory(t *testing.T) {
	root := t.TempDir()
	_ = os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	_ = os.MkdirAll(filepath.Join(root, "dev"), 0o755)
	_ = os.WriteFile(filepath.Join(root, "dev/null"), nil, 0o644)
	_ = os.WriteFile(filepath.Join(root, "etc/passwd"), []byte("svc:x:990:990::/dev/null:/usr/sbin/nologin\n"), 0o644)
	if events := scan(t, root); len(events) != 0 {
		t.Fatalf("got %+v", events)
	}
}
