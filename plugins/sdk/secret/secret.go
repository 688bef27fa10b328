// Package secret turns raw secrets into what may leave a plugin: a keyed
// fingerprint. Plugins call it as soon as they have read a secret and keep
// only the fingerprint.
package secret

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
)

// MinKeyBytes is the shortest organisation key accepted.
const MinKeyBytes = 16

// ErrShortKey reports an organisation key that is too short to resist guessing.
var ErrShortKey = errors.New("secret: fingerprint key shorter than 16 bytes")

// Fingerprinter computes HMAC-SHA256 fingerprints under the organisation key,
// so the same secret on two hosts has the same fingerprint and nobody without
// the key can test guesses against it.
type Fingerprinter struct {
	key []byte
}

// NewFingerprinter returns a Fingerprinter for key.
func NewFingerprinter(key []byte) (*Fingerprinter, error) {
	if len(key) < MinKeyBytes {
		return nil, ErrShortKey
	}
	return &Fingerprinter{key: append([]byte(nil), key...)}, nil
}

// Of returns the fingerprint of a secret in lower-case hex.
func (f *Fingerprinter) Of(secret string) string {
	m := hmac.New(sha256.New, f.key)
	m.Write([]byte(secret))
	return hex.EncodeToString(m.Sum(nil))
}
