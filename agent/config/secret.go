package config

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// CredentialsDirEnv is where the service manager says its credentials are
// (systemd sets it for a unit with LoadCredential=).
const CredentialsDirEnv = "CREDENTIALS_DIRECTORY"

// Read returns the secret from the service manager's credential, else its
// file, else its environment variable. Errors name where the secret was
// looked for, never its value.
func (s Secret) Read() ([]byte, error) {
	b, ok, err := s.Lookup()
	if err != nil {
		return nil, err
	}
	if !ok {
		if s.Env != "" {
			return nil, fmt.Errorf("secret: environment variable %s is not set", s.Env)
		}
		return nil, errors.New("secret: neither credential, env nor file is configured")
	}
	return b, nil
}

// Lookup is Read for a secret that may be absent: ok is false when no
// credential of that name was passed, no file is named and the environment
// variable is unset.
func (s Secret) Lookup() (b []byte, ok bool, err error) {
	if p := s.credentialPath(); p != "" {
		b, err := readSecretFile(p)
		if !errors.Is(err, fs.ErrNotExist) {
			return b, err == nil, err
		}
	}
	if s.File != "" {
		b, err := readSecretFile(s.File)
		return b, err == nil, err
	}
	if v := os.Getenv(s.Env); s.Env != "" && v != "" {
		return []byte(v), true, nil
	}
	return nil, false, nil
}

func readSecretFile(path string) ([]byte, error) {
	b, err := ReadRegularFile(path, MaxSecretBytes)
	if err != nil {
		return nil, fmt.Errorf("secret file: %w", err)
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil, fmt.Errorf("secret file %s is empty", path)
	}
	return b, nil
}

// credentialPath is the credential's file when the service manager passes
// credentials, else empty. A name with a slash is refused: it would reach
// outside the credentials directory.
func (s Secret) credentialPath() string {
	dir := os.Getenv(CredentialsDirEnv)
	if s.Credential == "" || dir == "" || strings.ContainsRune(s.Credential, '/') {
		return ""
	}
	return filepath.Join(dir, s.Credential)
}

// Where says where the secret is read from, for messages.
func (s Secret) Where() string {
	var w []string
	if p := s.credentialPath(); p != "" {
		w = append(w, "credential "+p)
	}
	if s.File != "" {
		w = append(w, "file "+s.File)
	} else if s.Env != "" {
		w = append(w, "environment variable "+s.Env)
	}
	return strings.Join(w, ", else ")
}

var agentIDPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

var errMalformedID = errors.New("malformed: want 32 hex digits")

// AgentID returns the agent's persistent id, kept in stateDir/agent-id and
// created on first use. It survives restarts and upgrades, so the collector
// can tell one agent from another even when host names change. A damaged
// file (not a regular file, or not an id) is moved aside and a new id made,
// with a warning on log: refusing to start would have the service manager
// restart the agent on the same file forever.
func AgentID(stateDir string, log *slog.Logger) (string, error) {
	path := filepath.Join(stateDir, "agent-id")
	// The state dir is the agent's own, but a damaged or tampered one must
	// not hang or bloat it either.
	b, err := ReadRegularFile(path, 4<<10)
	if err == nil {
		id := string(bytes.TrimSpace(b))
		if agentIDPattern.MatchString(id) {
			return id, nil
		}
		err = errMalformedID
	}
	switch {
	case errors.Is(err, errMalformedID) || errors.Is(err, ErrNotRegular) || errors.Is(err, ErrTooLarge):
		if err := moveAside(path, err, log); err != nil {
			return "", err
		}
	case !errors.Is(err, fs.ErrNotExist):
		// Unreadable (permissions) is not damage: a new id would not help.
		return "", fmt.Errorf("agent id: %w", err)
	}
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return "", fmt.Errorf("agent id: state dir: %w", err)
	}
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", fmt.Errorf("agent id: %w", err)
	}
	id := hex.EncodeToString(raw[:])
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(id+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("agent id: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", fmt.Errorf("agent id: %w", err)
	}
	return id, nil
}

// moveAside renames a damaged state file to path.corrupt-<time>, kept for
// inspection, and says so once.
func moveAside(path string, cause error, log *slog.Logger) error {
	if log == nil {
		log = slog.Default()
	}
	aside := path + ".corrupt-" + time.Now().UTC().Format("20060102T150405.000000000Z")
	if err := os.Rename(path, aside); err != nil {
		return fmt.Errorf("agent id in %s is damaged (%v) and moving it aside failed: %w", path, cause, err)
	}
	log.Warn("agent id file damaged: moved aside, the agent gets a new id", "file", path, "moved_to", aside, "err", cause)
	return nil
}
