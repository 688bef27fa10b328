package credfiles

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nhiradar/nhiradar/plugins/builtin/internal/plantedhost"
	"github.com/nhiradar/nhiradar/plugins/sdk"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var testKey = []byte("credfiles-test-key-0001")

func scan(t *testing.T, root string) []*event.Event {
	t.Helper()
	var out []*event.Event
	err := Plugin{}.Scan(context.Background(), sdk.ScanRequest{Root: root, Full: true, FingerprintKey: testKey},
		func(e *event.Event) error { out = append(out, e); return nil })
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestGolden compares the plugin's output on testdata/host with
// testdata/host.golden.jsonl. File owner, mode and modification time depend
// on the checkout, so they are checked for presence and then left out
// (TestFileMode covers the mode).
func TestGolden(t *testing.T) {
	var buf bytes.Buffer
	for _, e := range scan(t, "testdata/host") {
		if e.ModifiedAt == nil || e.FileOwner == "" || e.FileMode == "" {
			t.Errorf("%s at %s: file metadata missing", e.Principal, e.Location)
		}
		e.ModifiedAt, e.FileOwner, e.FileMode = nil, "", ""
		b, _ := json.Marshal(e)
		buf.Write(append(b, '\n'))
	}
	plantedhost.CompareFile(t, buf.Bytes(), filepath.Join("testdata", "host.golden.jsonl"), *update)
}

func TestSameSecretSameFingerprint(t *testing.T) {
	byLocation := map[string]string{}
	for _, e := range scan(t, "testdata/host") {
		if e.Principal == "AKIA2E4A7F3B244CQWXY" {
			byLocation[e.Location] = e.Fingerprint
		}
	}
	if len(byLocation) != 2 || byLocation["/root/.aws/credentials"] != byLocation["/home/alice/.aws/credentials"] {
		t.Fatalf("one secret in two files must have one fingerprint: %v", byLocation)
	}
}

func TestNoSecretLeaves(t *testing.T) {
	secrets := []string{"h8Jq3ZrVb0Wm5Ty2Lx9Nc4Pd7Ks1Ga6Fe0Ui3Ro8", "Qm9vT2pXc3R5VWh6N0FiY2RlZmdoaWprbG1ub3Bx", "Rk2xB7nL0pQ5sT8vW1yZ4aC7dF0gJ3mN6qS9uX2b"}
	for _, e := range scan(t, "testdata/host") {
		b, _ := json.Marshal(e)
		for _, s := range secrets {
			if strings.Contains(string(b), s) {
				t.Fatalf("event carries a raw secret: %s", e.Location)
			}
		}
	}
}

func TestDecoysIgnored(t *testing.T) {
	for _, e := range scan(t, "testdata/host") {
		if e.Principal == "AKIAIOSFODNN7EXAMPLE" || strings.Contains(e.Location, "/home/bob/") {
			t.Errorf("decoy reported: %s in %s", e.Principal, e.Location)
		}
	}
}

// TestMalformedFileIsAWarningWithoutContent: a file its tool could not
// parse is the host's problem: the scan goes on and warns, naming the path
// and never quoting the content.
func TestMalformedFileIsAWarningWithoutContent(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "root", ".aws")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	secretLine := "aws_secret_access_key = Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0Pp9Oo8Nn7\n[broken"
	if err := os.WriteFile(filepath.Join(dir, "credentials"), []byte("[default\naws_access_key_id = AKIA2E4A7F3B244CQWXY\n"+secretLine), 0o600); err != nil {
		t.Fatal(err)
	}
	var warnings []*event.Event
	err := Plugin{}.Scan(context.Background(), sdk.ScanRequest{Root: root, FingerprintKey: testKey}, func(e *event.Event) error {
		if e.Type == event.TypeScanWarning {
			warnings = append(warnings, e)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("a malformed file failed the scan: %v", err)
	}
	if len(warnings) != 1 || warnings[0].Location != "/root/.aws/credentials" || warnings[0].Attrs["reason"] != "malformed" {
		t.Fatalf("want one warning naming the file, got %+v", warnings)
	}
}

func TestFileMode(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "root", ".aws")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	body := "[default]\naws_access_key_id = AKIA2E4A7F3B244CQWXY\naws_secret_access_key = Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0Pp9Oo8Nn7\n"
	path := filepath.Join(dir, "credentials")
	for _, mode := range []os.FileMode{0o600, 0o644} {
		if err := os.WriteFile(path, []byte(body), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		got := scan(t, root)
		if len(got) != 1 || got[0].FileMode != fmt.Sprintf("%04o", mode) {
			t.Fatalf("mode %04o: got %+v", mode, got)
		}
	}
}
