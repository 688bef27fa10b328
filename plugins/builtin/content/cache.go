package content

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/nhiradar/nhiradar/plugins/sdk/secret"
)

// cacheFile is the incremental-scan cache in the plugin's state directory.
const cacheFile = "content-cache.json"

// cacheVersion changes whenever what a file's scan produces may change
// (rules, decoy filter, event fields): an older cache is then ignored.
const cacheVersion = "content-0.1.0/gitleaks-v8.30.1"

// fileState identifies a file's version cheaply, without reading it.
type fileState struct {
	Size  int64  `json:"size"`
	MTime int64  `json:"mtime_ns"`
	Inode uint64 `json:"inode"`
	// Findings are what the file gave, fingerprints only: no secret is
	// ever written to the state directory.
	Findings []Finding `json:"findings,omitempty"`
}

// cache lets an incremental scan (ScanRequest.Full false) skip the files
// that have not changed since the last scan and report their findings again.
type cache struct {
	path  string
	keyID string

	mu      sync.Mutex
	old     map[string]fileState
	next    map[string]fileState
	reused  []string
	enabled bool
}

type cacheDoc struct {
	Version string               `json:"version"`
	KeyID   string               `json:"key_id"`
	Files   map[string]fileState `json:"files"`
}

// openCache loads the cache of stateDir; an empty stateDir disables it. A
// missing, unreadable or outdated cache is an empty one.
func openCache(stateDir string, fp *secret.Fingerprinter) *cache {
	c := &cache{old: map[string]fileState{}, next: map[string]fileState{}}
	if stateDir == "" {
		return c
	}
	c.enabled = true
	c.path = filepath.Join(stateDir, cacheFile)
	// The key id changes with the organisation key, whose fingerprints the
	// cache holds.
	c.keyID = fp.Of("nhi-radar content cache")
	b, err := os.ReadFile(c.path)
	if err != nil {
		return c
	}
	var doc cacheDoc
	if json.Unmarshal(b, &doc) == nil && doc.Version == cacheVersion && doc.KeyID == c.keyID && doc.Files != nil {
		c.old = doc.Files
	}
	return c
}

func stateOf(fi fs.FileInfo) fileState {
	st := fileState{Size: fi.Size(), MTime: fi.ModTime().UnixNano()}
	if s, ok := fi.Sys().(*syscall.Stat_t); ok {
		st.Inode = s.Ino
	}
	return st
}

// unchanged reports, for the walker, whether a file may be skipped: an
// incremental scan with a cache entry of the same size, mtime and inode.
// Either way the file is remembered for the next cache.
func (c *cache) unchanged(incremental bool) func(string, fs.FileInfo) bool {
	return func(host string, fi fs.FileInfo) bool {
		if !c.enabled {
			return false
		}
		st := stateOf(fi)
		c.mu.Lock()
		defer c.mu.Unlock()
		if old, ok := c.old[host]; ok && incremental && old.Size == st.Size && old.MTime == st.MTime && old.Inode == st.Inode {
			c.next[host] = old
			c.reused = append(c.reused, host)
			return true
		}
		c.next[host] = st
		return false
	}
}

// record adds a finding of a scanned file to the next cache.
func (c *cache) record(f Finding) {
	if !c.enabled {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.next[f.Path]
	st.Findings = append(st.Findings, f)
	c.next[f.Path] = st
}

// reusedFindings returns the cached findings of the files skipped.
func (c *cache) reusedFindings() []Finding {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Finding
	for _, p := range c.reused {
		out = append(out, c.old[p].Findings...)
	}
	return out
}

// save writes the next cache atomically, readable by its owner only.
func (c *cache) save() error {
	if !c.enabled {
		return nil
	}
	c.mu.Lock()
	b, err := json.Marshal(cacheDoc{Version: cacheVersion, KeyID: c.keyID, Files: c.next})
	c.mu.Unlock()
	if err != nil {
		return err
	}
	tmp := c.path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return errors.Join(errors.New("content: write scan cache"), err)
	}
	return os.Rename(tmp, c.path)
}
