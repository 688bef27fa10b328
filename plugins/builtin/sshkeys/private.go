package sshkeys

import (
	"bytes"
	"crypto/dsa" //nolint:staticcheck // old DSA keys are still found on hosts
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/pem"
	"errors"
	"strconv"
	"strings"

	"golang.org/x/crypto/ssh"
)

// PrivateKey is what may be said about a private key without revealing it.
type PrivateKey struct {
	// Principal is the OpenSSH SHA256 fingerprint of the public half, empty
	// when an encrypted key carries no public half and no .pub file is beside it.
	Principal string
	// Type is the key algorithm (rsa, ecdsa, ed25519, dsa).
	Type string
	// Bits is the key size, 0 when unknown.
	Bits int
	// Encrypted is true for a key protected by a passphrase.
	Encrypted bool
	// Format is the container: openssh, pkcs1, pkcs8, sec1 or pem.
	Format string
	// Comment is the comment of the .pub file beside the key, if any.
	Comment string
	// material is the decoded key block, the secret the fingerprint is of.
	material []byte
}

var pemHeaders = map[string]string{
	"OPENSSH PRIVATE KEY":   "openssh",
	"RSA PRIVATE KEY":       "pkcs1",
	"EC PRIVATE KEY":        "sec1",
	"DSA PRIVATE KEY":       "pem",
	"PRIVATE KEY":           "pkcs8",
	"ENCRYPTED PRIVATE KEY": "pkcs8",
}

var headerTypes = map[string]string{"RSA PRIVATE KEY": "rsa", "EC PRIVATE KEY": "ecdsa", "DSA PRIVATE KEY": "dsa"}

// LooksPrivate reports whether content starts (after blank space) like a
// PEM or OpenSSH private key.
func LooksPrivate(content []byte) bool {
	c := bytes.TrimSpace(content)
	return bytes.HasPrefix(c, []byte("-----BEGIN ")) && bytes.Contains(c[:min(len(c), 64)], []byte("PRIVATE KEY-----"))
}

// ParsePrivateKey reads a private key. pub is the content of the matching
// .pub file or nil; it names an encrypted key whose container hides the
// public half. ok is false when content holds no private key block.
func ParsePrivateKey(content, pub []byte) (k PrivateKey, ok bool) {
	block, _ := pem.Decode(bytes.TrimSpace(content))
	if block == nil {
		return PrivateKey{}, false
	}
	format, known := pemHeaders[block.Type]
	if !known {
		return PrivateKey{}, false
	}
	k = PrivateKey{Format: format, material: block.Bytes}
	k.Type = headerTypes[block.Type]
	k.Encrypted = block.Type == "ENCRYPTED PRIVATE KEY" || strings.Contains(block.Headers["Proc-Type"], "ENCRYPTED")
	raw, err := ssh.ParseRawPrivateKey(content)
	var missing *ssh.PassphraseMissingError
	switch {
	case err == nil:
		k.describe(raw)
	case errors.As(err, &missing):
		k.Encrypted = true
		if missing.PublicKey != nil {
			k.public(missing.PublicKey)
		}
	}
	if pub != nil {
		if pk, comment, _, _, err := ssh.ParseAuthorizedKey(pub); err == nil {
			if k.Principal == "" {
				k.public(pk)
			}
			k.Comment = comment
		}
	}
	return k, true
}

// Fingerprint returns the keyed fingerprint of the key material.
func (k PrivateKey) Fingerprint(of func(string) string) string { return of(string(k.material)) }

func (k *PrivateKey) describe(raw any) {
	if signer, err := ssh.NewSignerFromKey(raw); err == nil {
		k.public(signer.PublicKey())
	}
	switch key := raw.(type) {
	case *rsa.PrivateKey:
		k.Type, k.Bits = "rsa", key.N.BitLen()
	case *ecdsa.PrivateKey:
		k.Type, k.Bits = "ecdsa", key.Curve.Params().BitSize
	case ed25519.PrivateKey, *ed25519.PrivateKey:
		k.Type, k.Bits = "ed25519", 256
	case *dsa.PrivateKey:
		k.Type, k.Bits = "dsa", key.P.BitLen()
	}
}

func (k *PrivateKey) public(pk ssh.PublicKey) {
	k.Principal = ssh.FingerprintSHA256(pk)
	t, bits := PublicKeyInfo(pk)
	if t != "" {
		k.Type = t
	}
	if bits > 0 {
		k.Bits = bits
	}
}

// PublicKeyInfo returns the algorithm and size of a public key.
func PublicKeyInfo(pk ssh.PublicKey) (string, int) {
	switch pk.Type() {
	case ssh.KeyAlgoED25519:
		return "ed25519", 256
	case ssh.KeyAlgoSKED25519:
		return "ed25519-sk", 256
	case ssh.KeyAlgoECDSA256, ssh.KeyAlgoSKECDSA256:
		return "ecdsa", 256
	case ssh.KeyAlgoECDSA384:
		return "ecdsa", 384
	case ssh.KeyAlgoECDSA521:
		return "ecdsa", 521
	}
	if cp, ok := pk.(ssh.CryptoPublicKey); ok {
		switch key := cp.CryptoPublicKey().(type) {
		case *rsa.PublicKey:
			return "rsa", key.N.BitLen()
		case *dsa.PublicKey:
			return "dsa", key.P.BitLen()
		}
	}
	return pk.Type(), 0
}

func (k PrivateKey) attrs() map[string]string {
	a := map[string]string{"key_type": k.Type, "format": k.Format, "encrypted": strconv.FormatBool(k.Encrypted)}
	if k.Bits > 0 {
		a["bits"] = strconv.Itoa(k.Bits)
	}
	return a
}
