package main

import (
	"os"
	"strings"
	"testing"

	"github.com/alecthomas/kong"
)

// TestReferenceCoversFlags: every flag of `nhi-collector run` is in the
// configuration reference (hidden test-only flags aside).
func TestReferenceCoversFlags(t *testing.T) {
	doc, err := os.ReadFile("../../docs/CONFIGURATION.md")
	if err != nil {
		t.Fatal(err)
	}
	var c cli
	k, err := kong.New(&c, kong.Name("nhi-collector"))
	if err != nil {
		t.Fatal(err)
	}
	var run *kong.Node
	for _, n := range k.Model.Children {
		if n.Name == "run" {
			run = n
		}
	}
	if run == nil {
		t.Fatal("no run command")
	}
	n := 0
	for _, group := range run.AllFlags(true) {
		for _, f := range group {
			if f.Hidden || f.Name == "help" || f.Name == "config" {
				continue
			}
			n++
			if !strings.Contains(string(doc), "`--"+f.Name+"`") {
				t.Errorf("docs/CONFIGURATION.md does not describe nhi-collector run --%s", f.Name)
			}
		}
	}
	if n < 20 {
		t.Fatalf("only %d flags found: the walk is broken", n)
	}
}

// TestReferenceCoversConfigFile: every key of the collector's YAML file is
// in the configuration reference's collector table, on the row that names
// the flag it sets.
func TestReferenceCoversConfigFile(t *testing.T) {
	doc, err := os.ReadFile("../../docs/CONFIGURATION.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "## Collector: `/etc/nhi-collector/collector.yaml`")
	section, _, _ = strings.Cut(section, "### `nhi-collector run` flags")
	if !ok {
		t.Fatal("docs/CONFIGURATION.md has no collector file section")
	}
	rows := strings.Split(section, "\n")
	for key, flag := range fileKeys(t) {
		found := false
		for _, row := range rows {
			if strings.HasPrefix(row, "|") && strings.Contains(row, "`"+key+"`") && strings.Contains(row, "`--"+flag+"`") {
				found = true
			}
		}
		if !found {
			t.Errorf("docs/CONFIGURATION.md has no row with collector key `%s` and its flag `--%s`", key, flag)
		}
	}
}
