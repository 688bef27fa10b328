package main

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestPolicyCheckOK(t *testing.T) {
	var out bytes.Buffer
	file := filepath.Join("..", "..", "packaging", "policy", "policy.yaml")
	if err := checkPolicy(&out, file, time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatalf("check: %v\n%s", err, out.String())
	}
	want := file + ": ok — 7 owners, 4 owner rules, 4 rules configured, 1 exceptions (0 expired)\n"
	if out.String() != want {
		t.Fatalf("output %q, want %q", out.String(), want)
	}
	out.Reset()
	if err := checkPolicy(&out, file, time.Date(2027, 4, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	if want := file + ": ok — 7 owners, 4 owner rules, 4 rules configured, 1 exceptions (1 expired)\n"; out.String() != want {
		t.Fatalf("after expiry: output %q, want %q", out.String(), want)
	}
}

// TestPolicyCheckErrors prints every mistake of a bad file as file:line: key: message.
func TestPolicyCheckErrors(t *testing.T) {
	var out bytes.Buffer
	err := checkPolicy(&out, filepath.Join("testdata", "bad-policy.yaml"), time.Now())
	if !errors.Is(err, errReported) {
		t.Fatalf("err = %v, want errReported", err)
	}
	golden(t, filepath.Join("testdata", "bad-policy.golden"), out.Bytes())
}

func TestPolicyCheckMissingFile(t *testing.T) {
	err := checkPolicy(&bytes.Buffer{}, filepath.Join("testdata", "nope.yaml"), time.Now())
	if err == nil || errors.Is(err, errReported) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v, want a wrapped not-exist error", err)
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("output differs from %s (go test -update to rewrite):\n%s", path, got)
	}
}
