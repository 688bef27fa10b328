// Package baseline filters findings by fingerprint: an ignore file lists
// fingerprints never to report, a baseline file lists those already known so
// that a scan reports only what is new. Plugins apply it from their options
// ("ignore", "baseline"); the agent can use the same files for its
// `--baseline FILE` flag.
//
// Both files hold one fingerprint per line; blank lines and text after '#'
// are ignored. A baseline may also be a JSON-lines file of earlier events
// (`nhi-agent scan --output jsonl > baseline.jsonl`): each line's
// "fingerprint" field is taken.
package baseline

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/nhiradar/nhiradar/plugins/sdk/hostfs"
	"io"
	"strings"
)

// Filter is a set of fingerprints to leave out. The zero value skips nothing.
type Filter struct {
	skip map[string]bool
}

// Skip reports whether a finding with this fingerprint is left out.
func (f *Filter) Skip(fingerprint string) bool {
	return f != nil && fingerprint != "" && f.skip[fingerprint]
}

// Len is the number of fingerprints in the filter.
func (f *Filter) Len() int {
	if f == nil {
		return 0
	}
	return len(f.skip)
}

// Add puts fingerprints in the filter.
func (f *Filter) Add(fps ...string) {
	if f.skip == nil {
		f.skip = map[string]bool{}
	}
	for _, fp := range fps {
		if fp != "" {
			f.skip[fp] = true
		}
	}
}

// Load reads one ignore or baseline file into the filter.
func (f *Filter) Load(path string) error {
	// A regular file only: a FIFO given as baseline must not hang the scan.
	file, err := hostfs.OpenLocal(path)
	if err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	defer file.Close()
	if err := f.Read(file); err != nil {
		return fmt.Errorf("baseline %s: %w", path, err)
	}
	return nil
}

// Read reads fingerprints, or JSON lines with a fingerprint field, from r.
func (f *Filter) Read(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) > 0 && line[0] == '{' {
			var e struct {
				Fingerprint string `json:"fingerprint"`
				NHIID       string `json:"nhi_id"`
			}
			if err := json.Unmarshal(line, &e); err != nil {
				return fmt.Errorf("undecodable JSON line: %w", err)
			}
			// The identity key covers what has no secret to fingerprint
			// (accounts, public keys); the two never collide (32 and 64 hex).
			f.Add(e.Fingerprint, e.NHIID)
			continue
		}
		s := string(line)
		if i := strings.IndexByte(s, '#'); i >= 0 {
			s = s[:i]
		}
		f.Add(strings.TrimSpace(s))
	}
	return sc.Err()
}

// FromOptions builds the filter from a plugin's "ignore" and "baseline"
// options (each a comma-separated list of files).
func FromOptions(opts map[string]string) (*Filter, error) {
	f := &Filter{}
	for _, k := range []string{"ignore", "baseline"} {
		for _, p := range strings.Split(opts[k], ",") {
			if p = strings.TrimSpace(p); p == "" {
				continue
			}
			if err := f.Load(p); err != nil {
				return nil, err
			}
		}
	}
	return f, nil
}
