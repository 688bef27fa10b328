package content

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nhiradar/nhiradar/plugins/sdk/hostfs"
	"github.com/nhiradar/nhiradar/plugins/sdk/secret"
)

// TestJWTAge: a JWT found in a file carries its iat as created_at, so a
// first scan already knows how old it is.
func TestJWTAge(t *testing.T) {
	enc := base64.RawURLEncoding.EncodeToString
	jwt := enc([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." +
		enc([]byte(`{"sub":"system:serviceaccount:payments:ledger","iat":1733047200,"exp":1924992000}`)) + "." +
		enc([]byte("not-a-real-signature-but-long-enough"))
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "srv"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "srv", "ci.yaml"), []byte("sa_token: "+jwt+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rs, err := DefaultRules()
	if err != nil {
		t.Fatal(err)
	}
	fp, _ := secret.NewFingerprinter(testKey)
	s := &Scanner{Rules: rs, Config: Config{Paths: []string{"/srv"}, Workers: 1}}
	var got []Finding
	if _, err := s.Run(context.Background(), hostfs.New(root), fp, func(f Finding) error { got = append(got, f); return nil }); err != nil {
		t.Fatal(err)
	}
	issued := time.Date(2024, 12, 1, 10, 0, 0, 0, time.UTC)
	if len(got) != 1 || got[0].CreatedAt == nil || !got[0].CreatedAt.Equal(issued) || got[0].ExpiresAt == nil {
		t.Fatalf("findings %+v, want one JWT created %v with an expiry", got, issued)
	}
	e := toEvent(hostfs.New(root), nil, got[0])
	if e.CreatedAt == nil || !e.CreatedAt.Equal(issued) || e.Principal != "system:serviceaccount:payments:ledger" {
		t.Fatalf("event created_at %v principal %q, want %v and the token's subject", e.CreatedAt, e.Principal, issued)
	}
}
