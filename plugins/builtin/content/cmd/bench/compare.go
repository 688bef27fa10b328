package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// glFinding is the part of a gitleaks JSON report entry the comparison uses
// (gitleaks' report also holds the secret; only these fields are decoded).
type glFinding struct {
	File      string
	StartLine int
	RuleID    string
}

type place struct {
	path string
	line int
	rule string
}

// compare prints how many of gitleaks' findings (path, line, rule) we also
// report. prefix is stripped from gitleaks' paths to make them host paths.
func compare(glReport, ours, prefix string) error {
	var gl []glFinding
	b, err := os.ReadFile(glReport)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, &gl); err != nil {
		return fmt.Errorf("gitleaks report: %w", err)
	}
	mine := map[place]bool{}
	ob, err := os.ReadFile(ours)
	if err != nil {
		return err
	}
	for _, l := range strings.Split(strings.TrimSpace(string(ob)), "\n") {
		var f struct {
			Path string `json:"path"`
			Line int    `json:"line"`
			Rule string `json:"rule"`
		}
		if l != "" && json.Unmarshal([]byte(l), &f) == nil {
			mine[place{f.Path, f.Line, f.Rule}] = true
		}
	}
	theirs := map[place]bool{}
	both := 0
	for _, g := range gl {
		p := place{"/" + strings.TrimPrefix(strings.TrimPrefix(g.File, prefix), "/"), g.StartLine, g.RuleID}
		if theirs[p] {
			continue
		}
		theirs[p] = true
		if mine[p] {
			both++
		}
	}
	pct := 0.0
	if len(theirs) > 0 {
		pct = 100 * float64(both) / float64(len(theirs))
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]any{"gitleaks_findings": len(theirs), "ours": len(mine),
		"gitleaks_also_ours": both, "gitleaks_also_ours_pct": pct})
}
