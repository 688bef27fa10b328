package filecache

import (
	"testing"

	"github.com/nhiradar/nhiradar/plugins/sdk/secret"
)

func TestSavedCacheIsReusedByTheNextIncrementalScanOnly(t *testing.T) {
	dir := t.TempDir()
	fp, err := secret.NewFingerprinter([]byte("filecache-test-key-01"))
	if err != nil {
		t.Fatal(err)
	}
	a, b := Stamp{Size: 1, MTime: 2, Inode: 3}, Stamp{Size: 4, MTime: 5, Inode: 6}
	c := Open[string](dir, "c.json", "v1", fp, false)
	for _, host := range []string{`/etc/a "quoted".env`, "/srv/ünïcode"} {
		if _, ok := c.Reuse(host, a, false); ok {
			t.Fatal("a full scan reused a file")
		}
	}
	c.Add(`/etc/a "quoted".env`, "x")
	c.Add(`/etc/a "quoted".env`, "y")
	c.Reuse("/empty", b, false)
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}
	next := Open[string](dir, "c.json", "v1", fp, true)
	if items, ok := next.Reuse(`/etc/a "quoted".env`, a, true); !ok || len(items) != 2 || items[1] != "y" {
		t.Fatalf("reuse after save: %v %v", items, ok)
	}
	if _, ok := next.Reuse("/srv/ünïcode", b, true); ok {
		t.Fatal("a file with another stamp was reused")
	}
	if _, ok := next.Reuse("/empty", b, true); !ok {
		t.Fatal("a file that gave nothing was not reused")
	}
	for _, other := range []*Cache[string]{
		Open[string](dir, "c.json", "v2", fp, true),
		Open[string](dir, "c.json", "v1", fp, false),
	} {
		if _, ok := other.Reuse(`/etc/a "quoted".env`, a, true); ok {
			t.Fatal("a cache of another version, or opened for a full scan, was used")
		}
	}
	// An empty cache saves and loads too.
	empty := Open[string](t.TempDir(), "c.json", "v1", fp, false)
	if err := empty.Save(); err != nil {
		t.Fatal(err)
	}
}
