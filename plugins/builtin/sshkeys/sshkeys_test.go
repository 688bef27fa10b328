package sshkeys

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"github.com/nhiradar/nhiradar/plugins/sdk/hostfs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/nhiradar/nhiradar/plugins/sdk"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

var testKey = []byte("sshkeys-test-key-00000001")

func write(t *testing.T, root, p string, body []byte) {
	t.Helper()
	full := filepath.Join(root, p)
	if err := os.MkdirAll(filepath.Dir(full), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(full, body, 0o600); err != nil {
		t.Fatal(err)
	}
}

func scan(t *testing.T, root string) []*event.Event {
	t.Helper()
	var out []*event.Event
	err := Plugin{}.Scan(context.Background(), sdk.ScanRequest{Root: root, FingerprintKey: testKey, Now: time.Now()},
		func(e *event.Event) error { out = append(out, e); return nil })
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestKeyFormats generates keys at run time (none is kept in the
// repository): a legacy encrypted PEM key, whose public half only the .pub
// file beside it gives; the same without .pub; an EC key; and a file that
// looks like a key but is not one.
func TestKeyFormats(t *testing.T) {
	root := t.TempDir()
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	//nolint:staticcheck // legacy encrypted PEM is what old hosts hold
	enc, err := x509.EncryptPEMBlock(rand.Reader, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey), []byte("pw"), x509.PEMCipherAES256)
	if err != nil {
		t.Fatal(err)
	}
	encPEM := pem.EncodeToMemory(enc)
	sshPub, _ := ssh.NewPublicKey(&rsaKey.PublicKey)
	write(t, root, "root/.ssh/id_rsa", encPEM)
	write(t, root, "root/.ssh/id_rsa.pub", ssh.MarshalAuthorizedKey(sshPub))
	write(t, root, "root/.ssh/backup_rsa", encPEM)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	der, _ := x509.MarshalECPrivateKey(ecKey)
	ecPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})
	write(t, root, "root/.ssh/id_ecdsa", ecPEM)
	write(t, root, "root/.ssh/broken", []byte("-----BEGIN OPENSSH PRIVATE KEY-----\nnot base64 at all\n-----END OPENSSH PRIVATE KEY-----\n"))

	got := map[string]*event.Event{}
	for _, e := range scan(t, root) {
		got[e.Location] = e
		b, _ := json.Marshal(e)
		for _, secret := range [][]byte{encPEM, ecPEM} {
			for _, line := range strings.Split(string(secret), "\n") {
				if len(line) > 40 && strings.Contains(string(b), line) {
					t.Fatalf("key material in the event for %s", e.Location)
				}
			}
		}
	}
	want := ssh.FingerprintSHA256(sshPub)
	if e := got["/root/.ssh/id_rsa"]; e == nil || e.Principal != want || e.Attrs["encrypted"] != "true" || e.Attrs["bits"] != "2048" {
		t.Errorf("encrypted PEM key with .pub: %+v", e)
	}
	if e := got["/root/.ssh/backup_rsa"]; e == nil || e.Principal != "" || e.Fingerprint != got["/root/.ssh/id_rsa"].Fingerprint || e.Attrs["key_type"] != "rsa" {
		t.Errorf("encrypted PEM key without .pub must be reported by fingerprint alone, same as the copy: %+v", e)
	}
	if e := got["/root/.ssh/id_ecdsa"]; e == nil || e.Attrs["bits"] != "384" || e.Attrs["key_type"] != "ecdsa" || !strings.HasPrefix(e.Principal, "SHA256:") {
		t.Errorf("EC key: %+v", e)
	}
	if _, ok := got["/root/.ssh/broken"]; ok {
		t.Errorf("a file that is not a key was reported")
	}
}

func TestAuthorizedKeyOptions(t *testing.T) {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pub, _ := ssh.NewPublicKey(&k.PublicKey)
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub)))
	content := "# comment\n\nnot a key\n" + `command="/usr/bin/backup --run",from="10.1.0.0/16",no-pty ` + line + " backup@vault\n" + `cert-authority,principals="deploy" ` + line + "\n"
	var got []AuthorizedKey
	hostfs.LinesOf([]byte(content), maxAuthorizedLine, func(n int, l []byte) error {
		if k, ok := ParseAuthorizedKey(n, l); ok {
			got = append(got, k)
		}
		return nil
	})
	if len(got) != 2 {
		t.Fatalf("want 2 entries, got %+v", got)
	}
	a := got[0].attrs()
	if a["command"] != "/usr/bin/backup --run" || a["from"] != "10.1.0.0/16" || a["comment"] != "backup@vault" || a["line"] != "4" || got[0].Principal != ssh.FingerprintSHA256(pub) {
		t.Errorf("first entry: %v", a)
	}
	if b := got[1].attrs(); b["cert-authority"] != "true" || b["principals"] != "deploy" {
		t.Errorf("second entry: %v", b)
	}
}
