package authlog

import (
	"encoding/json"
	"github.com/nhiradar/nhiradar/plugins/sdk/hostfs"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// position is where an earlier scan stopped in one log file.
type position struct {
	Offset int64 `json:"offset,omitempty"`
	Done   bool  `json:"done,omitempty"`
}

// positions are the read positions by inode. Incremental scans start from
// them; full scans read everything and record where they stopped. Inodes
// not seen in a scan are forgotten, so the file does not grow.
type positions struct {
	prev map[string]position
	next map[string]position
	// incremental is false for a full scan: get then reports nothing.
	incremental bool
}

// stateFile is the file in the plugin's state directory.
const stateFile = "authlog-positions.json"

// maxStateFile bounds the positions file: a few hundred bytes per log.
const maxStateFile = 16 << 20

func loadPositions(dir string, incremental bool) positions {
	p := positions{prev: map[string]position{}, next: map[string]position{}, incremental: incremental}
	if dir == "" {
		return p
	}
	// Bounded and regular-only like any other read: the state directory is
	// the agent's, but a damaged file must cost nothing but a full read.
	if b, err := hostfs.ReadLocalFile(filepath.Join(dir, stateFile), maxStateFile); err == nil {
		_ = json.Unmarshal(b, &p.prev) // a damaged file means a full read
	}
	return p
}

func (p positions) get(inode uint64) (position, bool) {
	if !p.incremental {
		return position{}, false
	}
	v, ok := p.prev[strconv.FormatUint(inode, 10)]
	return v, ok
}

func (p positions) set(inode uint64, v position) {
	p.next[strconv.FormatUint(inode, 10)] = v
}

// save writes the positions of this scan (atomically: temp file, rename).
func (p positions) save(dir string) error {
	if dir == "" {
		return nil
	}
	b, err := json.Marshal(p.next)
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, stateFile+".tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, stateFile))
}

func inodeOf(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Ino
	}
	return 0
}
