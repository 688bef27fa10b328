package credfiles

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path"
	"strconv"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// isKeyFileName reports file names that hold private keys by convention.
func isKeyFileName(base string) bool {
	switch base {
	case "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519":
		return true
	}
	for _, s := range []string{".pem", ".key", ".p8", ".pk8"} {
		if strings.HasSuffix(base, s) {
			return true
		}
	}
	return false
}

// keyInfo is what a private key block tells without its secret.
type keyInfo struct {
	pub       crypto.PublicKey
	sshPub    ssh.PublicKey
	algo      string
	bits      int
	format    string
	encrypted bool
}

// parseKeyFile reads PEM and OpenSSH private keys, encrypted or not. The
// principal is the key's SHA256 fingerprint in OpenSSH form (the same in
// any container format), where the public key can be known; a certificate
// for the key, in the file or a sibling file, gives notBefore as creation, notAfter as
// expiry and its subject as owner hint. A file of certificates only gives nothing.
func parseKeyFile(in input) ([]finding, error) {
	var out []finding
	var certs []*x509.Certificate
	rest := in.content
	var keys []finding
	var infos []keyInfo
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		switch {
		case block.Type == "CERTIFICATE":
			if c, err := x509.ParseCertificate(block.Bytes); err == nil {
				certs = append(certs, c)
			}
		case strings.HasSuffix(block.Type, "PRIVATE KEY"):
			info := inspectKey(block)
			kind := event.KindPrivateKey
			if info.format == "openssh" || strings.HasPrefix(path.Base(in.path), "id_") {
				kind = event.KindSSHPrivateKey
			}
			f := finding{kind: kind, fingerprint: in.fp.Of(string(block.Bytes)), key: block.Type,
				attrs: map[string]string{"format": info.format, "encrypted": strconv.FormatBool(info.encrypted)}}
			if info.algo != "" {
				f.attrs["type"] = info.algo
			}
			if info.bits > 0 {
				f.attrs["bits"] = strconv.Itoa(info.bits)
			}
			if info.sshPub != nil {
				f.principal = ssh.FingerprintSHA256(info.sshPub)
			}
			keys, infos = append(keys, f), append(infos, info)
		}
	}
	if len(keys) == 0 {
		return nil, nil
	}
	certs = append(certs, siblingCerts(in)...)
	for i, f := range keys {
		if c := certFor(infos[i].pub, certs); c != nil {
			f.created, f.expires = certTimes(c)
			f.hints = append(f.hints, "cert_subject:"+c.Subject.CommonName)
			f.attrs["cert_subject"] = c.Subject.String()
		}
		out = append(out, f)
	}
	return out, nil
}

func inspectKey(block *pem.Block) keyInfo {
	info := keyInfo{format: "pkcs8"}
	switch block.Type {
	case "RSA PRIVATE KEY":
		info.format = "pkcs1"
	case "EC PRIVATE KEY":
		info.format = "sec1"
	case "OPENSSH PRIVATE KEY":
		info.format = "openssh"
	case "ENCRYPTED PRIVATE KEY":
		info.encrypted = true
		return info
	}
	if strings.Contains(block.Headers["Proc-Type"], "ENCRYPTED") {
		info.encrypted = true
		return info
	}
	raw, err := ssh.ParseRawPrivateKey(pem.EncodeToMemory(block))
	var missing *ssh.PassphraseMissingError
	if errors.As(err, &missing) {
		info.encrypted = true
		info.sshPub = missing.PublicKey
		info.algo = strings.TrimPrefix(missing.PublicKey.Type(), "ssh-")
		return info
	}
	if err != nil {
		return info
	}
	signer, ok := raw.(crypto.Signer)
	if !ok {
		if k, isPtr := raw.(*ed25519.PrivateKey); isPtr {
			signer = *k
		} else {
			return info
		}
	}
	info.pub = signer.Public()
	info.sshPub, _ = ssh.NewPublicKey(info.pub)
	switch p := info.pub.(type) {
	case *rsa.PublicKey:
		info.algo, info.bits = "rsa", p.N.BitLen()
	case *ecdsa.PublicKey:
		info.algo, info.bits = "ecdsa", p.Curve.Params().BitSize
	case ed25519.PublicKey:
		info.algo, info.bits = "ed25519", 256
	}
	return info
}

// siblingCerts reads certificates from files beside the key (*.crt, *.pem,
// *.cert, *.cer).
func siblingCerts(in input) []*x509.Certificate {
	dir := path.Dir(in.path)
	entries, err := os.ReadDir(in.root.Path(dir))
	if err != nil {
		return nil
	}
	var out []*x509.Certificate
	for _, e := range entries {
		n := e.Name()
		if !e.Type().IsRegular() || dir+"/"+n == in.path || !(strings.HasSuffix(n, ".crt") || strings.HasSuffix(n, ".pem") ||
			strings.HasSuffix(n, ".cert") || strings.HasSuffix(n, ".cer")) {
			continue
		}
		b, err := in.root.ReadFile(dir+"/"+n, 1<<20)
		if err != nil {
			continue
		}
		for rest := b; ; {
			var block *pem.Block
			block, rest = pem.Decode(rest)
			if block == nil {
				break
			}
			if block.Type == "CERTIFICATE" {
				if c, err := x509.ParseCertificate(block.Bytes); err == nil {
					out = append(out, c)
				}
			}
		}
	}
	return out
}

// certFor returns the certificate whose public key is pub.
func certFor(pub crypto.PublicKey, certs []*x509.Certificate) *x509.Certificate {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	e, ok := pub.(equaler)
	if !ok {
		return nil
	}
	for _, c := range certs {
		if e.Equal(c.PublicKey) {
			return c
		}
	}
	return nil
}
