// Package queries holds the analysts' ready-made ClickHouse queries over the
// collector's schema (nhi_inventory, agents, events), one .sql file each, as
// listed in the README. Every query is run against the real server in CI.
package queries

import (
	"embed"
	"io/fs"
	"strings"
)

//go:embed *.sql
var files embed.FS

// Query is one ready-made query; SQL names tables without a database, so
// run it with the database selected (clickhouse-client --database nhi).
type Query struct {
	Name        string
	Description string
	SQL         string
}

// All returns the queries in file order.
func All() []Query {
	names, _ := fs.Glob(files, "*.sql")
	out := make([]Query, 0, len(names))
	for _, n := range names {
		b, _ := files.ReadFile(n)
		var desc []string
		for _, l := range strings.Split(string(b), "\n") {
			if !strings.HasPrefix(l, "--") {
				break
			}
			desc = append(desc, strings.TrimSpace(strings.TrimPrefix(l, "--")))
		}
		out = append(out, Query{Name: strings.TrimSuffix(n, ".sql"), Description: strings.Join(desc, " "), SQL: string(b)})
	}
	return out
}
