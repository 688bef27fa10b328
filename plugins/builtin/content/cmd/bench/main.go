// Command bench runs the content scanner over a directory, without an agent,
// for packaging/bench/scan.sh: it prints one JSON summary (files, bytes,
// seconds, MB/s, findings), can write the findings' path, line and rule
// (never the secret), and compares them with a gitleaks JSON report. With
// -read-only it reads what the scan would read and matches nothing: the
// limit the scan is measured against.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/nhiradar/nhiradar/plugins/builtin/content"
	"github.com/nhiradar/nhiradar/plugins/sdk/hostfs"
	"github.com/nhiradar/nhiradar/plugins/sdk/secret"
)

func main() {
	// CPUPROFILE=FILE writes a CPU profile of the run (go tool pprof).
	if p := os.Getenv("CPUPROFILE"); p != "" {
		f, err := os.Create(p)
		if err == nil && pprof.StartCPUProfile(f) == nil {
			defer pprof.StopCPUProfile()
		}
	}
	root := flag.String("root", "", "directory standing for /")
	paths := flag.String("paths", "/", "comma-separated host paths to walk")
	out := flag.String("findings", "", "write path, line and rule of every finding to this JSON-lines file")
	keep := flag.Bool("keep-decoys", false, "turn the decoy filter off (compare raw rule matches with gitleaks)")
	maxSize := flag.Int64("max-file-size", content.DefaultMaxFileSize, "skip larger files")
	glReport := flag.String("compare-gitleaks", "", "instead of scanning, compare this gitleaks JSON report with -findings")
	readOnly := flag.Bool("read-only", false, "read the files the scan reads (same walker, skips, chunks, workers) and match nothing")
	plantedDir := flag.String("planted", "", "instead of scanning, run credfiles and content on this planted host tree (with -compare-gitleaks)")
	flag.Parse()
	// As in the plugin executable: a soft memory limit keeps RSS low.
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(40 << 20)
	}
	var err error
	switch {
	case *plantedDir != "":
		err = planted(*plantedDir, *glReport)
	case *glReport != "":
		err = compare(*glReport, *out, *root)
	default:
		err = run(*root, strings.Split(*paths, ","), *out, *keep, *maxSize, *readOnly)
	}
	if err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(root string, paths []string, out string, keep bool, maxSize int64, readOnly bool) error {
	rules, err := content.DefaultRules()
	if err != nil {
		return err
	}
	fp, err := secret.NewFingerprinter([]byte("bench-fingerprint-key-0000"))
	if err != nil {
		return err
	}
	var enc *json.Encoder
	if out != "" {
		f, err := os.Create(out)
		if err != nil {
			return err
		}
		defer f.Close()
		enc = json.NewEncoder(f)
	}
	s := &content.Scanner{Rules: rules, Log: slog.Default(), Config: content.Config{
		Paths: paths, Exclude: []string{".git"}, MaxFileSize: maxSize, KeepDecoys: keep}}
	n := 0
	start := time.Now()
	var st content.Stats
	if readOnly {
		st, err = s.ReadAll(context.Background(), hostfs.New(root))
	} else {
		st, err = s.Run(context.Background(), hostfs.New(root), fp, func(f content.Finding) error {
			n++
			if enc != nil {
				return enc.Encode(map[string]any{"path": f.Path, "line": f.Line, "rule": f.RuleID})
			}
			return nil
		})
	}
	if err != nil {
		return err
	}
	secs := time.Since(start).Seconds()
	mode := "scan"
	if readOnly {
		mode = "read-only"
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]any{"mode": mode, "files": st.Files, "bytes": st.Bytes, "skipped": st.Skipped,
		"errors": st.Errors, "seconds": secs, "mb_per_s": float64(st.Bytes) / 1e6 / secs, "findings": n, "rules": rules.Len()})
}
