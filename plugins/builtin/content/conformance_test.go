package content

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"testing"

	"github.com/zricethezav/gitleaks/v8/detect"

	"github.com/nhiradar/nhiradar/plugins/sdk/hostfs"
	"github.com/nhiradar/nhiradar/plugins/sdk/secret"
)

// TestConformsToGitleaks runs gitleaks' own detector (as a library, no
// decoding passes) and this scanner (decoy filter off) over source trees
// nobody here wrote — the Go standard library's crypto and net/http
// packages, full of test keys — and over this package's test data, and
// requires every gitleaks finding (path, line, rule) to be ours: the
// keyword prefilter, the line windows, the anchored rules and the generic
// precheck lose nothing gitleaks finds.
func TestConformsToGitleaks(t *testing.T) {
	if testing.Short() {
		t.Skip("runs gitleaks over a few MB")
	}
	goroot := runtime.GOROOT()
	roots := []string{filepath.Join(goroot, "src", "crypto"), filepath.Join(goroot, "src", "net", "http"), "testdata/host"}
	d, err := detect.NewDetectorDefaultConfig()
	if err != nil {
		t.Fatal(err)
	}
	rs, err := DefaultRules()
	if err != nil {
		t.Fatal(err)
	}
	fp, _ := secret.NewFingerprinter(testKey)
	for _, root := range roots {
		want := map[string]bool{}
		err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
			if err != nil || !e.Type().IsRegular() {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if isBinary(b) {
				b = nil // as the gitleaks CLI: binary content is not scanned, path rules apply
			}
			host := "/" + filepath.ToSlash(must(filepath.Rel(root, p)))
			for _, f := range d.Detect(detect.Fragment{Raw: string(b), FilePath: host}) {
				// The library numbers lines from 0, the CLI and we from 1; a file
				// named by a path-only rule has line 0.
				line := f.StartLine + 1
				if f.RuleID == "pkcs12-file" {
					line = 0
				}
				want[fmt.Sprintf("%s:%d:%s", host, line, f.RuleID)] = true
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		s := &Scanner{Rules: rs, Config: Config{Paths: []string{"/"}, KeepDecoys: true}}
		if _, err := s.Run(context.Background(), hostfs.New(root), fp, func(f Finding) error {
			got[fmt.Sprintf("%s:%d:%s", f.Path, f.Line, f.RuleID)] = true
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if diff := difference(want, got); len(diff) > 0 {
			t.Errorf("%s: gitleaks finds %d that we miss: %v", root, len(diff), diff)
		}
		// Extra findings are regex matches gitleaks' whole-file pass absorbed
		// into a longer match starting on an earlier line; a few are allowed.
		if diff := difference(got, want); len(diff) > len(want)/20 {
			t.Errorf("%s: we find %d that gitleaks does not: %v", root, len(diff), diff)
		} else if len(diff) > 0 {
			t.Logf("%s: %d extra: %v", root, len(diff), diff)
		}
		t.Logf("%s: gitleaks %d findings, we %d", root, len(want), len(got))
	}
}

func difference(a, b map[string]bool) []string {
	var out []string
	for k := range a {
		if !b[k] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func must(s string, err error) string {
	if err != nil {
		panic(err)
	}
	return s
}
