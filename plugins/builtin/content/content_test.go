package content

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nhiradar/nhiradar/plugins/builtin/internal/plantedhost"
	"github.com/nhiradar/nhiradar/plugins/sdk"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
	"github.com/nhiradar/nhiradar/plugins/sdk/hostfs"
	"github.com/nhiradar/nhiradar/plugins/sdk/secret"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var testKey = []byte("content-test-key-000001")

// planted are the secrets in testdata/host; none may appear in any output.
var planted = []string{
	"sk_live_O1xkxwnQrS7RPeMOkIUpkDyr", "xoxb-02654235116-155940781618-s1ON43xKmTecQoXsf2o3gyrD",
	"ghp_OhbVrpoiVgRV5IfLBcbfnoGMbJmTPSIAoCLr", "MuFbh7x41Ztpdp4K8f", "glpat-fUF0eWIXiiQE8JkqH3MB",
}

func scan(t *testing.T, root string, opts map[string]string) []*event.Event {
	t.Helper()
	var out []*event.Event
	err := (&Plugin{}).Scan(context.Background(), sdk.ScanRequest{Root: root, FingerprintKey: testKey, Options: opts},
		func(e *event.Event) error { out = append(out, e); return nil })
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestGolden compares the findings on testdata/host with the golden file.
// File metadata depends on the checkout and is left out.
func TestGolden(t *testing.T) {
	var lines []string
	for _, e := range scan(t, "testdata/host", nil) {
		if e.ModifiedAt == nil || e.FileMode == "" {
			t.Errorf("%s: file metadata missing", e.Location)
		}
		e.ModifiedAt, e.FileOwner, e.FileMode, e.Account = nil, "", "", ""
		b, _ := json.Marshal(e)
		lines = append(lines, string(b))
	}
	sortStrings(lines)
	got := []byte(strings.Join(lines, "\n") + "\n")
	plantedhost.CompareFile(t, got, filepath.Join("testdata", "host.golden.jsonl"), *update)
}

func TestFindsPlantedAndNoDecoys(t *testing.T) {
	got := map[string]string{}
	for _, e := range scan(t, "testdata/host", nil) {
		got[e.Location+" "+e.Key] = string(e.Kind)
		b, _ := json.Marshal(e)
		for _, s := range planted {
			if strings.Contains(string(b), s) {
				t.Fatalf("event carries a raw secret at %s", e.Location)
			}
		}
	}
	want := map[string]string{
		"/opt/billing/config.yaml stripe_secret":   "api_key",
		"/opt/billing/config.yaml slack_bot_token": "api_key",
		"/srv/www/settings.py GITHUB_TOKEN":        "github_token",
		"/srv/www/settings.py SECRET_KEY":          "generic_secret",
		"/usr/local/bin/deploy.sh GITLAB_TOKEN":    "gitlab_token",
		"/etc/app/app.ini access_key_id":           "aws_access_key",
		"/opt/billing/ci.yaml sa_token":            "kubernetes_service_account_token",
		"/opt/app/client.p12 ":                     "private_key",
	}
	for k, kind := range want {
		if got[k] != kind {
			t.Errorf("%s: got kind %q, want %q", k, got[k], kind)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected finding (a decoy?): %s", k)
		}
	}
}

func TestSymlinkOutOfRootNotFollowed(t *testing.T) {
	outside, root := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "leak.env"), []byte("GITHUB_TOKEN=ghp_OhbVrpoiVgRV5IfLBcbfnoGMbJmTPSIAoCLr\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "opt"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, l := range []string{"opt/link.env", "opt/dir"} {
		target := filepath.Join(outside, "leak.env")
		if strings.HasSuffix(l, "dir") {
			target = outside
		}
		if err := os.Symlink(target, filepath.Join(root, l)); err != nil {
			t.Fatal(err)
		}
	}
	if got := scan(t, root, nil); len(got) != 0 {
		t.Fatalf("followed a symlink out of the root: %+v", got[0])
	}
}

func TestOptions(t *testing.T) {
	if got := scan(t, "testdata/host", map[string]string{"paths": "/srv"}); len(got) != 2 {
		t.Errorf("paths=/srv: %d findings, want 2", len(got))
	}
	if got := scan(t, "testdata/host", map[string]string{"exclude": "/opt/billing,*.py"}); len(got) != 3 {
		t.Errorf("exclude: %d findings, want 3 (deploy.sh, app.ini, client.p12)", len(got))
	}
	if got := scan(t, "testdata/host", map[string]string{"max_file_size": "100"}); len(got) != 2 {
		t.Errorf("max_file_size=100: %d findings, want app.ini's and client.p12's", len(got))
	}
	err := (&Plugin{}).Scan(context.Background(), sdk.ScanRequest{Root: "testdata/host", FingerprintKey: testKey,
		Options: map[string]string{"pathz": "/"}}, func(*event.Event) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "pathz") {
		t.Fatalf("unknown option accepted: %v", err)
	}
}

// TestChunkEdges plants secrets on both sides of a chunk boundary in a large
// file: each is found once, with its true line number.
func TestChunkEdges(t *testing.T) {
	root := t.TempDir()
	var b bytes.Buffer
	filler := strings.Repeat("lorem ipsum dolor sit amet consectetur\n", 1)
	line := 1
	wantLines := map[int]bool{}
	for b.Len() < 3*chunkSize {
		if b.Len() > chunkSize-40 && len(wantLines) == 0 || b.Len() > 2*chunkSize+5 && len(wantLines) == 1 {
			b.WriteString("token: ghp_OhbVrpoiVgRV5IfLBcbfnoGMbJmTPSIAoCLr\n")
			wantLines[line] = true
		} else {
			b.WriteString(filler)
		}
		line++
	}
	if err := os.MkdirAll(filepath.Join(root, "srv"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "srv", "big.log"), b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	rs, err := DefaultRules()
	if err != nil {
		t.Fatal(err)
	}
	fp, _ := secret.NewFingerprinter(testKey)
	s := &Scanner{Rules: rs, Config: Config{Paths: []string{"/srv"}, Workers: 2}}
	var got []int
	st, err := s.Run(context.Background(), hostfs.New(root), fp, func(f Finding) error { got = append(got, f.Line); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !wantLines[got[0]] || !wantLines[got[1]] || got[0] == got[1] {
		t.Fatalf("findings on lines %v, want %v", got, wantLines)
	}
	if st.Files != 1 || st.Bytes != int64(b.Len()) {
		t.Fatalf("stats %+v, want 1 file of %d bytes", st, b.Len())
	}
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// TestReadAllReadsWhatRunScans: the benchmark's plain read covers the same
// files and bytes as a scan of the same tree, skips included.
func TestReadAllReadsWhatRunScans(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "srv", ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"srv/a.txt":      []byte("token: ghp_OhbVrpoiVgRV5IfLBcbfnoGMbJmTPSIAoCLr\n"),
		"srv/big.log":    bytes.Repeat([]byte("nothing to see here, only log lines\n"), 90000), // more than one chunk
		"srv/bin.dat":    append([]byte{0, 1, 2, 0, 0}, bytes.Repeat([]byte{0}, 5000)...),
		"srv/empty":      nil,
		"srv/.git/index": []byte("excluded"),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(root, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rs, err := DefaultRules()
	if err != nil {
		t.Fatal(err)
	}
	fp, _ := secret.NewFingerprinter(testKey)
	s := &Scanner{Rules: rs, Config: Config{Paths: []string{"/srv"}, Exclude: []string{".git"}, Workers: 2}}
	n := 0
	scanned, err := s.Run(context.Background(), hostfs.New(root), fp, func(Finding) error { n++; return nil })
	if err != nil || n == 0 {
		t.Fatalf("scan: %d findings, %v", n, err)
	}
	read, err := s.ReadAll(context.Background(), hostfs.New(root))
	if err != nil {
		t.Fatal(err)
	}
	want := int64(len(files["srv/a.txt"]) + len(files["srv/big.log"]))
	if read != scanned || read.Files != 2 || read.Bytes != want {
		t.Fatalf("plain read %+v, scan %+v; want both 2 files of %d bytes", read, scanned, want)
	}
}
