package main

import (
	"encoding/json"
	"io"
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
