package main

import (
	"encoding/json"
	"io"
	"os"
	"text/tabwriter"
	"unicode/utf8"

	"golang.org/x/term"
)

// writeMachine writes rows for scripts: json (one array) or jsonl (one
// object a line), with the rows' snake_case JSON keys. It reports false
// for the formats people read (table) and csv, which each command writes
// itself.
func writeMachine[T any](w io.Writer, format string, rows []T) (bool, error) {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return true, enc.Encode(rows)
	case "jsonl":
		enc := json.NewEncoder(w)
		for _, r := range rows {
			if err := enc.Encode(r); err != nil {
				return true, err
			}
		}
		return true, nil
	}
	return false, nil
}

// newTable is the tab-aligned writer of the tables for people: on a
// terminal, lines are cut to its width (with "…") so that a long evidence
// column does not wrap the table apart; elsewhere, and with --output for
// scripts, nothing is cut.
func newTable(w io.Writer) *tabwriter.Writer {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		if width, _, err := term.GetSize(int(f.Fd())); err == nil && width > 20 {
			w = &cutter{w: w, width: width}
		}
	}
	return tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
}

// cutter cuts every line written through it to width runes.
type cutter struct {
	w     io.Writer
	width int
	col   int
	cut   bool
}

func (c *cutter) Write(p []byte) (int, error) {
	out := make([]byte, 0, len(p))
	for rest := p; len(rest) > 0; {
		r, size := utf8.DecodeRune(rest)
		chunk := rest[:size]
		rest = rest[size:]
		switch {
		case r == '\n':
			out = append(out, '\n')
			c.col, c.cut = 0, false
			continue
		case c.col < c.width-1:
			out = append(out, chunk...)
		case !c.cut:
			out = append(out, "…"...)
			c.cut = true
		}
		c.col++
	}
	if _, err := c.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}
