package baseline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const fpA = "aaaa000000000000000000000000000000000000000000000000000000000001"
const fpB = "bbbb000000000000000000000000000000000000000000000000000000000002"

func TestReadPlainAndJSONLines(t *testing.T) {
	var f Filter
	in := "# known\n" + fpA + "  # rotated later\n\n" + `{"kind":"api_key","fingerprint":"` + fpB + `"}` + "\n"
	if err := f.Read(strings.NewReader(in)); err != nil {
		t.Fatal(err)
	}
	if !f.Skip(fpA) || !f.Skip(fpB) || f.Skip("cccc") || f.Skip("") || f.Len() != 2 {
		t.Fatalf("filter = %v", f.skip)
	}
}

func TestFromOptions(t *testing.T) {
	dir := t.TempDir()
	ign, base := filepath.Join(dir, "ignore"), filepath.Join(dir, "baseline.jsonl")
	if err := os.WriteFile(ign, []byte(fpA+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(base, []byte(`{"fingerprint":"`+fpB+`"}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := FromOptions(map[string]string{"ignore": ign, "baseline": base})
	if err != nil || !f.Skip(fpA) || !f.Skip(fpB) {
		t.Fatalf("FromOptions = %v, %v", f, err)
	}
	if _, err := FromOptions(map[string]string{"baseline": filepath.Join(dir, "missing")}); err == nil {
		t.Fatal("a missing baseline file gave no error")
	}
	var nilFilter *Filter
	if nilFilter.Skip(fpA) {
		t.Fatal("nil filter skipped")
	}
}

func TestBadJSONIsAnError(t *testing.T) {
	var f Filter
	if err := f.Read(strings.NewReader("{not json\n")); err == nil {
		t.Fatal("undecodable line accepted")
	}
}
