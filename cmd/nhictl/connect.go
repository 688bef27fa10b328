package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/nhiradar/nhiradar/collector/store"
)

// open connects and checks that the database exists, turning the
// driver's codes into what a person can act on.
func (c *cli) open(ctx context.Context) (*store.Store, error) {
	st, err := c.connect(ctx)
	if err != nil {
		return nil, err
	}
	var n uint64
	if err := st.Conn().QueryRow(ctx, "SELECT count() FROM system.databases WHERE name = ?", c.Database).Scan(&n); err != nil {
		st.Close()
		return nil, c.explain(err)
	}
	if n == 0 {
		dbs := c.databases(ctx, st)
		st.Close()
		return nil, fmt.Errorf("database %s does not exist on ClickHouse %s (databases there: %s): set --database or NHI_CLICKHOUSE_DATABASE, or run nhi-collector, which creates it",
			c.Database, strings.Join(c.ClickHouse, ","), dbs)
	}
	return st, nil
}

// connect connects without the database check: for the commands that
// create the schema (analyze migrates it first).
func (c *cli) connect(ctx context.Context) (*store.Store, error) {
	st, err := store.Open(ctx, store.Config{Addr: c.ClickHouse, Database: c.Database, Username: c.User,
		Password: os.Getenv("NHI_CLICKHOUSE_PASSWORD")})
	if err != nil {
		return nil, c.explain(err)
	}
	return st, nil
}

func (c *cli) databases(ctx context.Context, st *store.Store) string {
	rows, err := st.Conn().Query(ctx, "SELECT name FROM system.databases WHERE name NOT IN ('system', 'default', 'INFORMATION_SCHEMA', 'information_schema') ORDER BY name")
	if err != nil {
		return "unknown"
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if rows.Scan(&n) == nil {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return "none"
	}
	if len(names) > 10 {
		return strings.Join(names[:10], ", ") + fmt.Sprintf(" and %d more", len(names)-10)
	}
	return strings.Join(names, ", ")
}

// explain says what went wrong in the words of the fix.
func (c *cli) explain(err error) error {
	addr := strings.Join(c.ClickHouse, ",")
	var ex *clickhouse.Exception
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("ClickHouse at %s does not answer (connection refused): is it running? (packaging/dev/services.sh up, or set --clickhouse / NHI_CLICKHOUSE_ADDR)", addr)
	case errors.As(err, &ex) && (ex.Code == 516 || ex.Code == 192 || ex.Code == 193):
		return fmt.Errorf("ClickHouse at %s refused user %s: check --user (NHI_CLICKHOUSE_USER) and NHI_CLICKHOUSE_PASSWORD (server said: %s)", addr, c.User, ex.Message)
	case errors.As(err, &ex) && ex.Code == 164:
		return fmt.Errorf("nhictl query runs read-only (the server's readonly setting refused it: %s)", ex.Message)
	case errors.As(err, &ex) && ex.Code == 81:
		return fmt.Errorf("database %s does not exist on ClickHouse %s: set --database or NHI_CLICKHOUSE_DATABASE", c.Database, addr)
	}
	return err
}
