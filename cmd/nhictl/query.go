package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/nhiradar/nhiradar/analytics/queries"
)

type queryCmd struct {
	Name   string `arg:"" optional:"" help:"Query to run (a file name from analytics/queries without .sql, or its number); none lists them."`
	SQL    string `help:"Run this SQL instead, read-only: the server's readonly setting refuses any write or DDL." name:"sql" placeholder:"QUERY"`
	Output string `help:"Output format." enum:"table,json,jsonl,csv" default:"table" short:"o"`
}

func (c *queryCmd) Run(ctx context.Context, root *cli) error {
	if c.SQL != "" {
		return freeQuery(ctx, root, c.SQL, os.Stdout, c.Output)
	}
	if c.Name == "" {
		return listQueries(os.Stdout)
	}
	q, ok := findQuery(c.Name)
	if !ok {
		return fmt.Errorf("no query %q (run nhictl query to list them)", c.Name)
	}
	// The ready queries name tables without a database, like an analyst's
	// own: both run on a connection whose default database is nhictl's.
	return freeQuery(ctx, root, q.SQL, os.Stdout, c.Output)
}

// freeQuery runs an analyst's own SQL on a connection whose every query
// carries readonly=1: the server, not a parser here, refuses writes.
// Tables need no database prefix: the connection's default is the one
// nhictl works on.
func freeQuery(ctx context.Context, root *cli, sql string, w io.Writer, format ...string) error {
	st, err := root.open(ctx) // the database must exist: a clear error if not
	if err != nil {
		return err
	}
	st.Close()
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: root.ClickHouse,
		Auth:     clickhouse.Auth{Database: root.Database, Username: root.User, Password: os.Getenv("NHI_CLICKHOUSE_PASSWORD")},
		Settings: clickhouse.Settings{"readonly": 1}})
	if err != nil {
		return root.explain(err)
	}
	defer conn.Close()
	rows, err := conn.Query(ctx, sql)
	if err != nil {
		return fmt.Errorf("query: %w", root.explain(err))
	}
	defer rows.Close()
	return writeRows(w, rows, format...)
}

func listQueries(w io.Writer) error {
	tw := newTable(w)
	for _, q := range queries.All() {
		fmt.Fprintf(tw, "%s\t%s\n", q.Name, q.Description)
	}
	return tw.Flush()
}

func findQuery(name string) (queries.Query, bool) {
	for _, q := range queries.All() {
		if q.Name == name || strings.TrimLeft(strings.SplitN(q.Name, "_", 2)[0], "0") == strings.TrimLeft(name, "0") ||
			strings.SplitN(q.Name, "_", 2)[1] == name {
			return q, true
		}
	}
	return queries.Query{}, false
}

// writeRows prints any result: a table for people, or json, jsonl or
// csv with the result's column names as keys.
func writeRows(w io.Writer, rows driver.Rows, format ...string) error {
	f := "table"
	if len(format) > 0 && format[0] != "" {
		f = format[0]
	}
	cols := rows.Columns()
	var records []map[string]any
	var cells [][]string
	types := rows.ColumnTypes()
	for rows.Next() {
		vals := make([]any, len(types))
		for i, ct := range types {
			vals[i] = reflect.New(ct.ScanType()).Interface()
		}
		if err := rows.Scan(vals...); err != nil {
			return err
		}
		rec, line := map[string]any{}, make([]string, len(vals))
		for i, v := range vals {
			x := reflect.ValueOf(v).Elem().Interface()
			rec[cols[i]], line[i] = x, fmt.Sprint(x)
		}
		records, cells = append(records, rec), append(cells, line)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if done, err := writeMachine(w, f, records); done {
		return err
	}
	if f == "csv" {
		cw := csv.NewWriter(w)
		_ = cw.Write(cols)
		_ = cw.WriteAll(cells)
		return cw.Error()
	}
	tw := newTable(w)
	fmt.Fprintln(tw, strings.ToUpper(strings.Join(cols, "\t")))
	for _, line := range cells {
		fmt.Fprintln(tw, strings.Join(line, "\t"))
	}
	fmt.Fprintf(tw, "\n%d rows\n", len(cells))
	return tw.Flush()
}
