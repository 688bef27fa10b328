// Package filecache lets a plugin's incremental scan skip the files that
// have not changed since its last scan (same size, modification time and
// inode) and report again what they gave then. The cache lives in the
// plugin's state directory and holds only what the plugin reports, which is
// never a secret.
package filecache

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/nhiradar/nhiradar/plugins/sdk/hostfs"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/nhiradar/nhiradar/plugins/sdk/secret"
)

// Stamp identifies a version of a file without reading it.
type Stamp struct {
	Size  int64  `json:"size"`
	MTime int64  `json:"mtime_ns"`
	Inode uint64 `json:"inode"`
}

// StampOf returns the stamp of a file from its FileInfo.
func StampOf(fi fs.FileInfo) Stamp {
	s := Stamp{Size: fi.Size(), MTime: fi.ModTime().UnixNano()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		s.Inode = st.Ino
	}
	return s
}

type entry[T any] struct {
	Stamp
	Items []T `json:"items,omitempty"`
}

type document[T any] struct {
	Version string              `json:"version"`
	KeyID   string              `json:"key_id"`
	Files   map[string]entry[T] `json:"files"`
}

// Cache maps host paths to their stamp and the items scanning them gave.
// Its zero value is a disabled cache; it is safe for concurrent use.
type Cache[T any] struct {
	path, version, keyID string

	mu        sync.Mutex
	old, next map[string]entry[T]
	reused    int
}

// Open loads the cache stored as file in stateDir for an incremental scan;
// a full scan (incremental false) only writes the next one. An empty
// stateDir (a one-shot scan) disables it. A missing, unreadable or outdated
// cache (other version, other organisation key) is an empty one. version
// must change whenever what scanning a file gives may change.
func Open[T any](stateDir, file, version string, fp *secret.Fingerprinter, incremental bool) *Cache[T] {
	c := &Cache[T]{old: map[string]entry[T]{}, next: map[string]entry[T]{}}
	if stateDir == "" {
		return c
	}
	c.path, c.version = filepath.Join(stateDir, file), version
	// The items hold fingerprints under the organisation key: a cache made
	// under another key is worthless.
	c.keyID = fp.Of("nhi-radar file cache " + file)
	if !incremental {
		return c
	}
	// Bounded, regular files only: a damaged or planted cache costs a full
	// scan, never the plugin's memory.
	b, err := hostfs.ReadLocalFile(c.path, maxCacheFile)
	if err != nil {
		return c
	}
	var doc document[T]
	if json.Unmarshal(b, &doc) == nil && doc.Version == version && doc.KeyID == c.keyID && doc.Files != nil {
		c.old = doc.Files
	}
	return c
}

// maxCacheFile bounds the cache read at start: a few hundred bytes per
// cached file, for about a million files.
const maxCacheFile = 256 << 20

func (c *Cache[T]) enabled() bool { return c != nil && c.path != "" }

// Reuse returns the items of an unchanged file, and true, when incremental
// is set; the file then need not be read. Otherwise the file starts afresh
// in the next cache, and Add records what it gives.
func (c *Cache[T]) Reuse(host string, s Stamp, incremental bool) ([]T, bool) {
	if !c.enabled() {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.old[host]; ok && incremental && old.Stamp == s {
		c.next[host] = old
		c.reused++
		return old.Items, true
	}
	c.next[host] = entry[T]{Stamp: s}
	return nil, false
}

// Add records an item that scanning host gave.
func (c *Cache[T]) Add(host string, item T) {
	if !c.enabled() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.next[host]
	e.Items = append(e.Items, item)
	c.next[host] = e
}

// Forget leaves host out of the next cache, so that the next incremental
// scan reads it.
func (c *Cache[T]) Forget(host string) {
	if !c.enabled() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.next, host)
}

// Reused returns how many files were skipped.
func (c *Cache[T]) Reused() int {
	if !c.enabled() {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reused
}

// Save writes the next cache, the files of this scan only, atomically and
// readable by its owner only. It writes file by file: a plugin that scanned
// thousands of files must not hold the whole document in memory as well.
func (c *Cache[T]) Save() error {
	if !c.enabled() {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	tmp := c.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("file cache: %w", err)
	}
	err = c.write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, c.path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("file cache %s: %w", c.path, err)
	}
	return nil
}

// write streams the document that Open reads; c.mu is held.
func (c *Cache[T]) write(f *os.File) error {
	w := bufio.NewWriter(f)
	head, err := json.Marshal(document[T]{Version: c.version, KeyID: c.keyID})
	if err != nil {
		return err
	}
	// {"version":…,"key_id":…,"files":null} → {"version":…,"key_id":…,"files":{…}}
	w.Write(bytes.TrimSuffix(head, []byte("null}")))
	w.WriteByte('{')
	first := true
	for host, e := range c.next {
		k, err := json.Marshal(host)
		if err != nil {
			return err
		}
		v, err := json.Marshal(e)
		if err != nil {
			return err
		}
		if !first {
			w.WriteByte(',')
		}
		first = false
		w.Write(k)
		w.WriteByte(':')
		w.Write(v)
	}
	w.WriteString("}}")
	return w.Flush()
}
