package config

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
)

// Read returns the secret from its file, else from its environment
// variable. Errors name where the secret was looked for, never its value.
func (s Secret) Read() ([]byte, error) {
	if s.File != "" {
		b, err := ReadRegularFile(s.File, MaxSecretBytes)
		if err != nil {
			return nil, fmt.Errorf("secret file: %w", err)
		}
		b = bytes.TrimSpace(b)
		if len(b) == 0 {
			return nil, fmt.Errorf("secret file %s is empty", s.File)
		}
		return b, nil
	}
	if s.Env != "" {
		v := os.Getenv(s.Env)
		if v == "" {
			return nil, fmt.Errorf("secret: environment variable %s is not set", s.Env)
		}
		return []byte(v), nil
	}
	return nil, errors.New("secret: neither env nor file is configured")
}

// Where says where the secret is read from, for messages.
func (s Secret) Where() string {
	if s.File != "" {
		return "file " + s.File
	}
	return "environment variable " + s.Env
}

var agentIDPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

// AgentID returns the agent's persistent id, kept in stateDir/agent-id and
// created on first use. It survives restarts and upgrades, so the collector
// can tell one agent from another even when host names change.
func AgentID(stateDir string) (string, error) {
	path := filepath.Join(stateDir, "agent-id")
	// The state dir is the agent's own, but a damaged or tampered one must
	// not hang or bloat it either.
	b, err := ReadRegularFile(path, 4<<10)
	if err == nil {
		id := string(bytes.TrimSpace(b))
		if !agentIDPattern.MatchString(id) {
			return "", fmt.Errorf("agent id in %s is malformed (want 32 hex digits); remove it to get a new one", path)
		}
		return id, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
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
