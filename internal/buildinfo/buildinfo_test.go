package buildinfo

import (
	"bytes"
	"testing"
)

func TestHandleFlag(t *testing.T) {
	var b bytes.Buffer
	if !HandleFlag("nhi-plugin-x", []string{"--version"}, &b) {
		t.Fatal("--version not handled")
	}
	if got, want := b.String(), "nhi-plugin-x dev (commit unknown)\n"; got != want {
		t.Fatalf("printed %q, want %q", got, want)
	}
	if HandleFlag("p", nil, &b) || HandleFlag("p", []string{"--version", "x"}, &b) {
		t.Fatal("handled arguments other than a lone --version")
	}
}
