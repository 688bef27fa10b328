package publish

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeCert(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "nhi-agent"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	_ = os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	_ = os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	return certFile, keyFile
}

func TestTLSConfigLoadsCAAndClientCertificate(t *testing.T) {
	cert, key := writeCert(t, t.TempDir())
	c, err := TLSConfig(TLSOptions{CAFile: cert, CertFile: cert, KeyFile: key, ServerName: "kafka.example"})
	if err != nil {
		t.Fatal(err)
	}
	if c.RootCAs == nil || len(c.Certificates) != 1 || c.ServerName != "kafka.example" || c.MinVersion == 0 {
		t.Fatalf("TLS config = %+v", c)
	}
	if _, err := TLSConfig(TLSOptions{CAFile: key}); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Fatalf("key as CA: %v", err)
	}
}

func TestSASLMechanisms(t *testing.T) {
	for name, want := range map[string]string{"plain": "PLAIN", "scram-sha-512": "SCRAM-SHA-512"} {
		m, err := SASLMechanism(name, "agent", []byte("pw"))
		if err != nil || m.Name() != want {
			t.Fatalf("%s: %v, %v", name, m, err)
		}
	}
	if m, err := SASLMechanism("", "", nil); m != nil || err != nil {
		t.Fatalf("no SASL: %v, %v", m, err)
	}
	if _, err := SASLMechanism("gssapi", "a", []byte("secret-pw")); err == nil || strings.Contains(err.Error(), "secret-pw") {
		t.Fatalf("unknown mechanism: %v", err)
	}
}
