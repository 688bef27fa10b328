package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nhiradar/nhiradar/plugins/builtin"
	"github.com/nhiradar/nhiradar/plugins/builtin/credfiles"
	"github.com/nhiradar/nhiradar/plugins/sdk"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
	"github.com/nhiradar/nhiradar/plugins/sdk/secret"
)

var plantedKey = []byte("bench-planted-key-0000000000")

type expectation struct {
	Kind      event.Kind `json:"kind"`
	Principal string     `json:"principal"`
	Location  string     `json:"location"`
}

// planted runs credfiles and content on the planted host and prints, beside
// gitleaks' report on the same tree, recall and decoys reported. Expected
// findings are in DIR/../expected/{credfiles,content}.jsonl, decoys in
// decoys-credfiles.txt (path TAB value; no value: the whole file).
func planted(dir, glReport string) error {
	expDir := filepath.Join(filepath.Dir(dir), "expected")
	var want []expectation
	for _, f := range []string{"credfiles.jsonl", "content.jsonl"} {
		for _, l := range readLines(filepath.Join(expDir, f)) {
			var e expectation
			if err := json.Unmarshal([]byte(l), &e); err != nil {
				return fmt.Errorf("%s: %w", f, err)
			}
			want = append(want, e)
		}
	}
	var events []*event.Event
	for _, p := range []sdk.Plugin{credfiles.Plugin{}, builtin.Content()} {
		err := p.Scan(context.Background(), sdk.ScanRequest{Root: dir, Full: true, FingerprintKey: plantedKey, Now: time.Now()},
			func(e *event.Event) error { events = append(events, e); return nil })
		if err != nil {
			return err
		}
	}
	var gl []struct {
		File   string
		Secret string
	}
	if b, err := os.ReadFile(glReport); err == nil {
		if err := json.Unmarshal(b, &gl); err != nil {
			return fmt.Errorf("gitleaks report: %w", err)
		}
	}
	glFiles := map[string]bool{}
	for _, g := range gl {
		glFiles["/"+strings.TrimPrefix(strings.TrimPrefix(g.File, dir), "/")] = true
	}
	ours, theirs := 0, 0
	for _, w := range want {
		for _, e := range events {
			if e.Kind == w.Kind && e.Principal == w.Principal && e.Location == w.Location {
				ours++
				break
			}
		}
		if glFiles[w.Location] {
			theirs++
		}
	}
	fp, _ := secret.NewFingerprinter(plantedKey)
	ourDecoys, glDecoys := 0, 0
	decoys := readLines(filepath.Join(expDir, "decoys-credfiles.txt"))
	for _, l := range decoys {
		loc, val, _ := strings.Cut(l, "\t")
		for _, e := range events {
			if e.Location == loc && (val == "" || e.Fingerprint == fp.Of(val)) {
				ourDecoys++
			}
		}
		for _, g := range gl {
			if "/"+strings.TrimPrefix(strings.TrimPrefix(g.File, dir), "/") == loc && (val == "" || strings.Contains(g.Secret, val)) {
				glDecoys++
			}
		}
	}
	fmt.Printf("%d planted credentials, %d decoys.\n\n", len(want), len(decoys))
	fmt.Println("| scanner | planted found | decoys reported | findings |")
	fmt.Println("|---|---|---|---|")
	fmt.Printf("| gitleaks (any finding in the file) | %d/%d | %d | %d |\n", theirs, len(want), glDecoys, len(gl))
	fmt.Printf("| nhi credfiles + content (kind, principal, location) | %d/%d | %d | %d |\n", ours, len(want), ourDecoys, len(events))
	return nil
}

func readLines(path string) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := sc.Text(); strings.TrimSpace(l) != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}
