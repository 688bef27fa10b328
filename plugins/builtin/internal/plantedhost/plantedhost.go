// Package plantedhost gives tests a private copy of the planted host
// (plugins/builtin/planted/testdata/host) with its planted modification and
// access times set, since git keeps neither times nor modes.
package plantedhost

import (
	"bufio"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// copyTree copies src to dst keeping symbolic links as links (the kubelet's
// token volumes are made of them).
func copyTree(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			mode := os.FileMode(0o644)
			if strings.Contains(rel, ".ssh/id_") && !strings.HasSuffix(rel, ".pub") || strings.HasSuffix(rel, "/token") {
				mode = 0o600
			}
			return os.WriteFile(target, b, mode)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
}

// FileTimes are the planted times of one file.
type FileTimes struct{ Mtime, Atime time.Time }

// Times returns the planted times by host path (and "default").
func Times(t testing.TB) map[string]FileTimes {
	t.Helper()
	return readTimes(t, filepath.Join(Dir(), "testdata", "times.txt"))
}

func readTimes(t testing.TB, name string) map[string]FileTimes {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]FileTimes{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		var ft FileTimes
		if ft.Mtime, err = time.Parse(time.RFC3339, fields[1]); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		ft.Atime = ft.Mtime
		if len(fields) > 2 {
			if ft.Atime, err = time.Parse(time.RFC3339, fields[2]); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		out[fields[0]] = ft
	}
	return out
}

// setTimes gives every file of the copied tree its planted times, the
// default for those not listed.
func setTimes(t testing.TB, root, name string) {
	t.Helper()
	times := readTimes(t, name)
	def, ok := times["default"]
	if !ok {
		t.Fatalf("%s has no default line", name)
	}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Type()&fs.ModeSymlink != 0 {
			return err
		}
		ft, ok := times["/"+strings.TrimPrefix(p, root+"/")]
		if !ok {
			ft = def
		}
		return os.Chtimes(p, ft.Atime, ft.Mtime)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Now is the scan clock the planted host is written for. It lies before any
// real time the tests run at, so that access times the tests' own reads
// leave are "after the scan" and never count as use.
var Now = time.Date(2026, 6, 20, 12, 0, 0, 0, time.UTC)

// Dir returns the planted folder (plugins/builtin/planted).
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "planted")
}

// Copy copies the planted host into a temporary directory, sets its times
// from testdata/times.txt and returns the copy's root.
func Copy(t testing.TB) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "host")
	copyTree(t, filepath.Join(Dir(), "testdata", "host"), root)
	setTimes(t, root, filepath.Join(Dir(), "testdata", "times.txt"))
	return root
}

var (
	pemBody = regexp.MustCompile(`(?m)^[A-Za-z0-9+/=]{40,}$`)
	jwtLike = regexp.MustCompile(`eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.([A-Za-z0-9_-]{20,})`)
)

// Secrets returns the secrets planted in the host tree: the body lines of every
// private key, every JWT and its signature, and the lines of
// testdata/secrets/*.txt (secrets in formats this function does not know).
func Secrets(t testing.TB) []string {
	t.Helper()
	tree := filepath.Join(Dir(), "testdata", "host")
	var out []string
	err := filepath.WalkDir(tree, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.Contains(string(b), "PRIVATE KEY-----") {
			out = append(out, pemBody.FindAllString(string(b), -1)...)
		}
		for _, m := range jwtLike.FindAllStringSubmatch(string(b), -1) {
			out = append(out, m[0], m[1])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	lists, _ := filepath.Glob(filepath.Join(Dir(), "testdata", "secrets", "*.txt"))
	for _, l := range lists {
		b, err := os.ReadFile(l)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range strings.Split(string(b), "\n") {
			if s = strings.TrimSpace(s); s != "" && !strings.HasPrefix(s, "#") {
				out = append(out, s)
			}
		}
	}
	return out
}
