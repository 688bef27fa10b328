package fileuse

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nhiradar/nhiradar/plugins/sdk/hostfs"
)

func TestAccessed(t *testing.T) {
	root := hostfs.New(t.TempDir())
	now := time.Date(2026, 6, 20, 0, 0, 0, 0, time.UTC)
	mod := now.AddDate(-1, 0, 0)
	cases := []struct {
		name   string
		atime  time.Time
		counts bool
	}{
		{"never read since written", mod, false},
		{"read back right after writing", mod.Add(10 * time.Second), false},
		{"read a day later", mod.Add(24 * time.Hour), true},
		{"read after the scan started", now.Add(time.Second), false},
	}
	for _, c := range cases {
		got, ok := Accessed(root, "/x", Times{Modified: mod, Accessed: c.atime}, now)
		if ok != c.counts || (ok && !got.Equal(c.atime)) {
			t.Errorf("%s: %v %v", c.name, got, ok)
		}
	}
}

// TestReadLeavesAccessTime reads a file whose access time equals its
// modification time, the case where relatime would update it.
func TestReadLeavesAccessTime(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "credentials")
	if err := os.WriteFile(p, []byte("content"), 0o600); err != nil {
		t.Fatal(err)
	}
	old := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := os.Chtimes(p, old, old); err != nil {
		t.Fatal(err)
	}
	root := hostfs.New(dir)
	if _, err := root.ReadFile("/credentials", 1024); err != nil {
		t.Fatal(err)
	}
	st, err := Stat(root, "/credentials")
	if err != nil {
		t.Fatal(err)
	}
	if !st.Accessed.Equal(old) {
		t.Fatalf("reading moved the access time to %s", st.Accessed)
	}
	if _, err := root.ReadFile("/credentials", 3); err == nil {
		t.Fatal("size limit not enforced")
	}
}
