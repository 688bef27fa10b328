// Package orgkey loads the organisation key under which plugins fingerprint
// secrets. The key comes from a file, the service manager's credentials or
// the environment, never from the command line, where any user of the host
// could read it.
package orgkey

import (
	"crypto/rand"
	"fmt"

	"github.com/nhiradar/nhiradar/agent/config"
	"github.com/nhiradar/nhiradar/plugins/sdk/secret"
)

// EnvVar names the environment variable that may hold the key.
const EnvVar = "NHI_FINGERPRINT_KEY"

// Load returns the key from file when one is named, else from the service
// manager's credential (config.DefaultKeyCredential in
// $CREDENTIALS_DIRECTORY), else from the environment. ok is false when none
// provides one.
func Load(file string) (key []byte, ok bool, err error) {
	src := config.Secret{Credential: config.DefaultKeyCredential, Env: EnvVar}
	if file != "" {
		src = config.Secret{File: file}
	}
	key, ok, err = src.Lookup()
	if err != nil {
		return nil, false, fmt.Errorf("fingerprint key: %w", err)
	}
	if !ok {
		return nil, false, nil
	}
	if len(key) < secret.MinKeyBytes {
		return nil, false, fmt.Errorf("fingerprint key: %d bytes, need at least %d", len(key), secret.MinKeyBytes)
	}
	return key, true, nil
}

// Ephemeral returns a random key, for one-shot scans whose fingerprints need
// only be comparable with each other.
func Ephemeral() []byte {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		panic(err)
	}
	return k
}
