package pluginhost

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// ErrChecksum reports a plugin executable whose SHA-256 differs from the
// one pinned in the configuration.
var ErrChecksum = errors.New("checksum mismatch")

// verify checks the executable at path against the pinned hex SHA-256 and
// returns the raw sum for go-plugin's SecureConfig.
func verify(path, pinned string) ([]byte, error) {
	want, err := hex.DecodeString(strings.TrimSpace(pinned))
	if err != nil || len(want) != sha256.Size {
		return nil, fmt.Errorf("%w: pinned sha256 %q is not 64 hex digits", ErrChecksum, pinned)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open plugin executable: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return nil, fmt.Errorf("hash plugin executable %s: %w", path, err)
	}
	got := h.Sum(nil)
	if !strings.EqualFold(hex.EncodeToString(got), hex.EncodeToString(want)) {
		return nil, fmt.Errorf("%w: %s has sha256 %x but the configuration pins %x; refusing to run it (update the pin only for a binary you trust)",
			ErrChecksum, path, got, want)
	}
	return want, nil
}

// FileSHA256 returns the hex SHA-256 of a file, the value to pin in the
// configuration.
func FileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("sha256: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("sha256 %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
