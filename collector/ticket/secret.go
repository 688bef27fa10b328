package ticket

import (
	"fmt"
	"os"
	"slices"
	"strings"
)

// SecretRef names where a credential lives: an environment variable or a
// file. Secrets are never taken from flags or inline configuration.
type SecretRef struct {
	Env  string `yaml:"env" json:"env,omitempty"`
	File string `yaml:"file" json:"file,omitempty"`
}

// IsSet reports whether the reference names a source.
func (r SecretRef) IsSet() bool { return r.Env != "" || r.File != "" }

// Load reads the secret. A file's trailing newline is dropped. The error
// names the source, never the value.
func (r SecretRef) Load() (string, error) {
	switch {
	case r.Env != "" && r.File != "":
		return "", fmt.Errorf("secret: set either env or file, not both (env %s, file %s)", r.Env, r.File)
	case r.Env != "":
		v, ok := os.LookupEnv(r.Env)
		if !ok || v == "" {
			return "", fmt.Errorf("secret: environment variable %s is empty or unset", r.Env)
		}
		return v, nil
	case r.File != "":
		b, err := os.ReadFile(r.File)
		if err != nil {
			return "", fmt.Errorf("secret: read %s: %w", r.File, err)
		}
		v := strings.TrimRight(string(b), "\r\n")
		if v == "" {
			return "", fmt.Errorf("secret: file %s is empty", r.File)
		}
		return v, nil
	}
	return "", fmt.Errorf("secret: no env or file given")
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
