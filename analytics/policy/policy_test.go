package policy

import (
	"strings"
	"testing"
)

func TestDefaultThresholds(t *testing.T) {
	p := Default()
	if got := p.Thresholds(Identity{}, "web-1").ReviewEvery; got != 180*day {
		t.Fatalf("review elsewhere = %v, want 180d", got)
	}
	if got := Strict().Thresholds(Identity{}, "").DormantAfter; got != 45*day {
		t.Fatalf("strict dormant = %v, want 45d", got)
	}
}

func TestParseRejectsUnknownKeyAndAlias(t *testing.T) {
	if _, err := Parse("p.yaml", []byte("version: 1\nbogus: 2\n"), "."); err == nil || !strings.Contains(err.Error(), "p.yaml:2") {
		t.Fatalf("unknown key: got %v", err)
	}
	if _, err := Parse("p.yaml", []byte("version: 1\nenvironments:\n  a: &x [\"a\"]\n  b: *x\n"), "."); err == nil || !strings.Contains(err.Error(), "aliases") {
		t.Fatalf("alias: got %v", err)
	}
	if _, err := Parse("p.yaml", []byte("environments: {}\n"), "."); err == nil || !strings.Contains(err.Error(), "version") {
		t.Fatalf("missing version: got %v", err)
	}
}
