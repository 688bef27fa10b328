package content

import (
	"io/fs"
	"sync"

	"github.com/nhiradar/nhiradar/plugins/builtin/internal/filecache"
	"github.com/nhiradar/nhiradar/plugins/sdk/secret"
)

// cacheFile is the incremental-scan cache in the plugin's state directory.
const cacheFile = "content-cache.json"

// cacheVersion changes whenever what a file's scan produces may change
// (rules, decoy filter, event fields): an older cache is then ignored.
const cacheVersion = "content-0.3.0/gitleaks-v8.30.1"

// cache lets an incremental scan (ScanRequest.Full false) skip the files
// that have not changed since the last scan and report their findings again.
type cache struct {
	files *filecache.Cache[Finding]

	mu     sync.Mutex
	reused []Finding
}

func openCache(stateDir string, fp *secret.Fingerprinter, incremental bool) *cache {
	return &cache{files: filecache.Open[Finding](stateDir, cacheFile, cacheVersion, fp, incremental)}
}

// unchanged reports, for the walker, whether a file may be skipped; its
// cached findings are then kept for reusedFindings.
func (c *cache) unchanged(incremental bool) func(string, fs.FileInfo) bool {
	return func(host string, fi fs.FileInfo) bool {
		found, ok := c.files.Reuse(host, filecache.StampOf(fi), incremental)
		if ok {
			c.mu.Lock()
			c.reused = append(c.reused, found...)
			c.mu.Unlock()
		}
		return ok
	}
}

// record adds a finding of a scanned file to the next cache.
func (c *cache) record(f Finding) { c.files.Add(f.Path, f) }

// reusedFindings returns the cached findings of the files skipped.
func (c *cache) reusedFindings() []Finding {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reused
}

func (c *cache) save() error { return c.files.Save() }
