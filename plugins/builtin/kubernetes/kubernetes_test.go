package kubernetes

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nhiradar/nhiradar/plugins/sdk"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

func jwt(claims string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256"}`)) + "." + enc([]byte(claims)) + "." + enc([]byte("not-a-real-signature-but-long-enough"))
}

func TestParseToken(t *testing.T) {
	cases := []struct {
		name, token, principal string
		legacy                 bool
		exp                    time.Time
	}{
		{"bound", jwt(`{"sub":"system:serviceaccount:a:b","exp":1900000000,"kubernetes.io":{"namespace":"a","serviceaccount":{"name":"b"}}}`), "system:serviceaccount:a:b", false, time.Unix(1900000000, 0).UTC()},
		{"legacy", jwt(`{"iss":"kubernetes/serviceaccount","kubernetes.io/serviceaccount/namespace":"ns","kubernetes.io/serviceaccount/service-account.name":"sa"}`), "system:serviceaccount:ns:sa", true, time.Time{}},
		{"subject only", jwt(`{"sub":"system:serviceaccount:x:y"}`), "system:serviceaccount:x:y", false, time.Time{}},
		{"oidc user token", jwt(`{"sub":"user@example.com","exp":1900000000}`), "", false, time.Time{}},
		{"placeholder", "<token>", "", false, time.Time{}},
		{"two parts", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0", "", false, time.Time{}},
	}
	for _, c := range cases {
		got, err := ParseToken([]byte(c.token))
		if c.principal == "" {
			if err == nil {
				t.Errorf("%s: accepted as a service-account token", c.name)
			}
			continue
		}
		if err != nil || got.Principal() != c.principal || got.Legacy != c.legacy || !got.ExpiresAt.Equal(c.exp) {
			t.Errorf("%s: %+v, %v", c.name, got, err)
		}
	}
}

// TestLinkOutOfRootIsNotFollowed plants a token volume whose token links to
// an absolute path, which in an image would name the scanning host's file.
func TestLinkOutOfRootIsNotFollowed(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(outside, []byte(jwt(`{"sub":"system:serviceaccount:leak:outside"}`)), 0o600); err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	vol := filepath.Join(root, "var/lib/kubelet/pods/p1/volumes/kubernetes.io~projected/v")
	if err := os.MkdirAll(vol, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(vol, "token")); err != nil {
		t.Fatal(err)
	}
	warned := ""
	err := Plugin{}.Scan(context.Background(), sdk.ScanRequest{Root: root, FingerprintKey: []byte("kubernetes-test-key-0001")},
		func(e *event.Event) error {
			if e.Type == event.TypeScanWarning {
				warned = e.Location + ": " + e.Attrs["reason"]
				return nil
			}
			t.Errorf("followed a link out of the root: %s", e.Principal)
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if want := "/var/lib/kubelet/pods/p1/volumes/kubernetes.io~projected/v/token: resolves outside the scanned root"; warned != want {
		t.Errorf("warning %q, want %q", warned, want)
	}
}

// TestNestedProjectedItem finds a token whose projected path holds a
// directory (path: vault/token), reached through the atomic writer's links.
func TestNestedProjectedItem(t *testing.T) {
	root := t.TempDir()
	vol := filepath.Join(root, "var/lib/kubelet/pods/p2/volumes/kubernetes.io~projected/vault-token")
	data := filepath.Join(vol, "..2026_06_01_00_00_00.1", "vault")
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data, "token"), []byte(jwt(`{"sub":"system:serviceaccount:web:vault-auth"}`)), 0o600); err != nil {
		t.Fatal(err)
	}
	_ = os.Symlink("..2026_06_01_00_00_00.1", filepath.Join(vol, "..data"))
	_ = os.Symlink("..data/vault", filepath.Join(vol, "vault"))
	var got []string
	err := Plugin{}.Scan(context.Background(), sdk.ScanRequest{Root: root, FingerprintKey: []byte("kubernetes-test-key-0001")},
		func(e *event.Event) error { got = append(got, e.Principal+" "+e.Location); return nil })
	if err != nil {
		t.Fatal(err)
	}
	want := "system:serviceaccount:web:vault-auth /var/lib/kubelet/pods/p2/volumes/kubernetes.io~projected/vault-token/vault/token"
	if len(got) != 1 || got[0] != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}
