package credfiles

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"slices"
	"testing"
	"time"
)

// TestOwnerAnnotations: an owner written into the file (a comment, a
// unit's X-Owner=) arrives as an owner hint on every secret of that file.
func TestOwnerAnnotations(t *testing.T) {
	root := plant(t, map[string]string{
		"/etc/systemd/system/api.service": "[Unit]\nDescription=API\nX-Owner=alice@example.com\n\n[Service]\nUser=svc-api\n" +
			"Environment=API_TOKEN=Tq8vW3nL5pR2sY7b\nEnvironmentFile=/etc/api/env\n",
		"/etc/api/env":       "# Owner: platform\nMAIL_PASSWORD=Bv5Nc2Xz8Lk4Jh7G\n",
		"/etc/cron.d/report": "# owner = bob, payments on-call\nAPI_KEY=Wd4Rf7Tg1Yh3Uj6K\n@daily reporter /usr/bin/report\n",
		"/srv/app/.env":      "# OWNER=dave\nOWNER=carol\nSTRIPE_API_KEY=sk_live_4eC39HqLyjWDarjtT1zdp7dc\n",
		"/srv/plain/.env":    "STRIPE_API_KEY=sk_live_9fD28GpKxiVCzqisS0ycoa6b\n",
	})
	got := byKey(scan(t, root))
	for _, c := range []struct {
		at    string
		hints []string
	}{
		{"/etc/systemd/system/api.service API_TOKEN", []string{"x-owner:alice@example.com"}},
		{"/etc/api/env MAIL_PASSWORD", []string{"owner:platform", "x-owner:alice@example.com"}},
		{"/etc/cron.d/report API_KEY", []string{"owner:bob"}},
		// An uncommented OWNER= is an environment variable, not an annotation.
		{"/srv/app/.env STRIPE_API_KEY", []string{"owner:dave"}},
		{"/srv/plain/.env STRIPE_API_KEY", nil},
	} {
		e := got[c.at]
		if e == nil {
			t.Errorf("%s: not found in %v", c.at, keys(got))
			continue
		}
		if !slices.Equal(e.OwnerHints, c.hints) {
			t.Errorf("%s: owner_hints %q, want %q", c.at, e.OwnerHints, c.hints)
		}
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestHostAge: a JWT's iat and a certificate's notBefore are the
// credential's age as the host shows it (created_at), on the first scan.
func TestHostAge(t *testing.T) {
	issued := time.Date(2024, 12, 1, 10, 0, 0, 0, time.UTC)
	enc := base64.RawURLEncoding.EncodeToString
	jwt := enc([]byte(`{"alg":"RS256"}`)) + "." +
		enc([]byte(`{"sub":"system:serviceaccount:ci:deployer","iat":1733047200,"exp":1924992000}`)) + ".c2lnbmF0dXJl"
	keyPEM, certPEM := selfSigned(t, issued, issued.AddDate(3, 0, 0))
	root := plant(t, map[string]string{
		"/home/alice/.kube/config": "apiVersion: v1\nkind: Config\nusers:\n- name: ci\n  user:\n    token: " + jwt + "\n" +
			"- name: admin\n  user:\n    client-certificate-data: " + base64.StdEncoding.EncodeToString(certPEM) + "\n" +
			"    client-key-data: " + base64.StdEncoding.EncodeToString(keyPEM) + "\n",
		"/opt/gw/tls.key": string(keyPEM),
		"/opt/gw/tls.crt": string(certPEM),
	})
	got := byKey(scan(t, root))
	for _, at := range []string{"/home/alice/.kube/config token", "/home/alice/.kube/config client-key-data", "/opt/gw/tls.key EC PRIVATE KEY"} {
		e := got[at]
		if e == nil {
			t.Errorf("%s: not found in %v", at, keys(got))
			continue
		}
		if e.CreatedAt == nil || !e.CreatedAt.Equal(issued) {
			t.Errorf("%s: created_at %v, want %v", at, e.CreatedAt, issued)
		}
		if e.ExpiresAt == nil || e.ExpiresAt.Before(issued.AddDate(3, 0, 0)) {
			t.Errorf("%s: expires_at %v, want at least %v", at, e.ExpiresAt, issued.AddDate(3, 0, 0))
		}
	}
}

func selfSigned(t *testing.T, notBefore, notAfter time.Time) (keyPEM, certPEM []byte) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "gw.example.org"},
		NotBefore: notBefore, NotAfter: notAfter}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kd, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kd}), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
