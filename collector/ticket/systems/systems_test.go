package systems

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSamplesLoad: every connector's sample.yaml is a valid settings file.
func TestSamplesLoad(t *testing.T) {
	samples, err := filepath.Glob("../*/sample.yaml")
	if err != nil || len(samples) < 4 {
		t.Fatalf("samples %v, %v", samples, err)
	}
	for _, path := range samples {
		s, err := Load(path)
		if err != nil || s.Ticketing.System == "" {
			t.Errorf("%s: system %q, %v", path, s.Ticketing.System, err)
		}
	}
}

// TestUnknownKeyNamesFileLineAndKey: a misspelt key is refused with where
// it is.
func TestUnknownKeyNamesFileLineAndKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ticketing.yaml")
	if err := os.WriteFile(path, []byte("ticketing:\n  system: rt\n  rt:\n    urll: https://rt.example.com\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	if err == nil || !strings.Contains(err.Error(), path+":4: ticketing.rt.urll: unknown key") {
		t.Fatalf("err = %v", err)
	}
}
