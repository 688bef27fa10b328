package store

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/template"

	"github.com/ClickHouse/clickhouse-go/v2"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migration is one versioned schema step.
type Migration struct {
	Version int
	Name    string
	SQL     []string
}

// Features are what the DDL may use on the target server.
type Features struct {
	LowCardinality bool
	TTL            bool
}

// FeaturesFor returns the features a server version supports.
func FeaturesFor(v Version) Features {
	return Features{LowCardinality: v.AtLeast(19, 0), TTL: v.AtLeast(19, 6)}
}

// Migrations renders every migration for a database, cluster and feature set.
// It is exported so that the generated DDL can be tested as text.
func Migrations(db, cluster string, f Features, retentionDays int) ([]Migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	data := struct{ DB, Cluster, OnCluster string }{DB: db, Cluster: cluster}
	if cluster != "" {
		data.OnCluster = "ON CLUSTER " + cluster
	}
	funcs := template.FuncMap{
		"lc": func(t string) string {
			if f.LowCardinality {
				return "LowCardinality(" + t + ")"
			}
			return t
		},
		"engine": func(engine, table, args string) string {
			if cluster == "" {
				return engine + "(" + args + ")"
			}
			path := fmt.Sprintf("'/clickhouse/tables/{shard}/%s/%s', '{replica}'", db, table)
			if args != "" {
				path += ", " + args
			}
			return "Replicated" + engine + "(" + path + ")"
		},
		// src names the table a query reads: on a cluster, the Distributed
		// table over every shard's local table.
		"src": func(table string) string { return db + "." + table + distSuffix(cluster) },
		// dist creates, on a cluster only, the Distributed table over table.
		"dist": func(table, shardKey string) string {
			if cluster == "" {
				return ""
			}
			return fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s.%s_all ON CLUSTER %s AS %s.%s\nENGINE = Distributed(%s, %s, %s, %s);\n",
				db, table, cluster, db, table, cluster, db, table, shardKey)
		},
		"ttl": func(col string) string {
			if !f.TTL || retentionDays <= 0 {
				return ""
			}
			return fmt.Sprintf("TTL %s + INTERVAL %d DAY", col, retentionDays)
		},
	}
	var out []Migration
	for _, name := range names {
		base := strings.TrimPrefix(name, "migrations/")
		v, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number", base)
		}
		raw, _ := migrationFiles.ReadFile(name)
		t, err := template.New(base).Funcs(funcs).Parse(string(raw))
		if err != nil {
			return nil, fmt.Errorf("migration %s: %w", base, err)
		}
		var buf bytes.Buffer
		if err := t.Execute(&buf, data); err != nil {
			return nil, fmt.Errorf("migration %s: %w", base, err)
		}
		out = append(out, Migration{Version: v, Name: strings.TrimSuffix(base, ".sql"), SQL: splitStatements(buf.String())})
	}
	return out, nil
}

// distSuffix is the suffix of Distributed tables, used on a cluster.
func distSuffix(cluster string) string {
	if cluster == "" {
		return ""
	}
	return "_all"
}

// splitStatements splits a script on semicolons that end a line and drops
// comment-only statements.
func splitStatements(script string) []string {
	var out []string
	for _, part := range strings.Split(script, ";\n") {
		var lines []string
		for _, l := range strings.Split(part, "\n") {
			if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "--") {
				lines = append(lines, l)
			}
		}
		if stmt := strings.TrimSuffix(strings.TrimSpace(strings.Join(lines, "\n")), ";"); stmt != "" {
			out = append(out, stmt)
		}
	}
	return out
}

// Migrate creates the database and applies every migration not yet recorded
// in schema_migrations. Queries name tables alone (the database is the
// connection's default); the schema's own statements name it, because views
// and Distributed engines store the database they read, ON CLUSTER DDL
// resolves bare names on each node against that node's default, and the
// database may not exist when they start. It is safe to run again, and from several collectors
// at once: they take turns through the migration lock (lock.go), and every
// statement is idempotent besides, for a run cut short.
func (s *Store) Migrate(ctx context.Context) (applied []string, err error) {
	db, onCluster := s.cfg.Database, ""
	if s.cfg.Cluster != "" {
		onCluster = " ON CLUSTER " + s.cfg.Cluster
	}
	if err := s.conn.Exec(ctx, "CREATE DATABASE IF NOT EXISTS "+db+onCluster); err != nil {
		return nil, fmt.Errorf("store: create database %s: %w", db, err)
	}
	if !s.bound {
		if err := s.dial(ctx, db); err != nil {
			return nil, err
		}
	}
	lock, err := s.lockMigrations(ctx)
	if err != nil {
		return nil, err
	}
	defer func() {
		if rerr := lock.release(context.WithoutCancel(ctx)); rerr != nil && err == nil {
			err = rerr
		}
	}()
	return s.migrate(ctx, db, onCluster)
}

// migrate applies what is missing; the caller holds the migration lock.
func (s *Store) migrate(ctx context.Context, db, onCluster string) (applied []string, err error) {
	// On a cluster every node shares one record of what was applied, so
	// that a collector on any node finds the schema done: one replicated
	// table across all shards, each node a replica of its own name.
	engine := "ReplacingMergeTree()"
	if s.cfg.Cluster != "" {
		engine = fmt.Sprintf("ReplicatedReplacingMergeTree('/clickhouse/tables/all/%s/schema_migrations', '{shard}_{replica}')", db)
	}
	ddl := fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s.schema_migrations%s (version UInt32, name String, applied_at DateTime DEFAULT now()) ENGINE = %s ORDER BY version", db, onCluster, engine)
	if err := s.conn.Exec(ctx, ddl); err != nil {
		return nil, fmt.Errorf("store: create schema_migrations: %w", err)
	}
	if s.cfg.Cluster != "" {
		// The lock's previous holder may have recorded its migrations
		// through another replica: fetch them before reading what is done.
		if err := s.conn.Exec(ctx, "SYSTEM SYNC REPLICA "+db+".schema_migrations"); err != nil {
			return nil, fmt.Errorf("store: sync schema_migrations from the other replicas: %w", err)
		}
	}
	done, err := s.appliedVersions(ctx)
	if err != nil {
		return nil, err
	}
	ms, err := Migrations(db, s.cfg.Cluster, FeaturesFor(s.ver), s.cfg.RetentionDays)
	if err != nil {
		return nil, err
	}
	if s.cfg.Cluster != "" {
		// A backfill through a Distributed table (migrations 0019–0021)
		// is written to the shards before the migration counts as done:
		// an analysis right after the upgrade reads it whole.
		ctx = clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"insert_distributed_sync": 1}))
	}
	for _, m := range ms {
		// Read again before each one: a collector starting beside this one
		// may have applied it meanwhile, and an older migration must never
		// run after a newer one redefined what it creates (a view).
		if done, err = s.appliedVersions(ctx); err != nil {
			return applied, err
		}
		if done[m.Version] {
			continue
		}
		for _, stmt := range m.SQL {
			if err := s.exec(ctx, stmt); err != nil {
				return applied, fmt.Errorf("store: migration %s: %w", m.Name, err)
			}
		}
		if err := s.record(ctx, m); err != nil {
			return applied, fmt.Errorf("store: record migration %s: %w", m.Name, err)
		}
		applied = append(applied, m.Name)
	}
	return applied, nil
}

// alterAdd matches the one statement ClickHouse 18.16 cannot make
// idempotent itself (it has no ADD COLUMN IF NOT EXISTS): an ALTER TABLE
// of one or more ADD COLUMN clauses.
var alterAdd = regexp.MustCompile(`^(ALTER TABLE (\w+)\.(\w+)\s+(?:ON CLUSTER \S+\s+)?)ADD COLUMN\s`)

// exec runs one migration statement. Of an ADD COLUMN, only the columns
// not there yet are added: another collector, or a run cut short, may
// have added them.
func (s *Store) exec(ctx context.Context, stmt string) error {
	m := alterAdd.FindStringSubmatch(stmt)
	if m == nil {
		return s.conn.Exec(ctx, stmt)
	}
	head, db, table := m[1], m[2], m[3]
	missing, err := s.missingColumns(ctx, db, table, stmt[len(head):])
	if err != nil || len(missing) == 0 {
		return err
	}
	err = s.conn.Exec(ctx, head+strings.Join(missing, ",\n"))
	if err == nil {
		return nil
	}
	// Collectors of a group migrate at once: another may have added the
	// columns between the check and the ALTER.
	if again, merr := s.missingColumns(ctx, db, table, stmt[len(head):]); merr == nil && len(again) == 0 {
		return nil
	}
	return err
}

// missingColumns returns the ADD COLUMN clauses of clauses whose column
// the table lacks.
func (s *Store) missingColumns(ctx context.Context, db, table, clauses string) ([]string, error) {
	var missing []string
	for _, c := range strings.Split(clauses, "ADD COLUMN")[1:] {
		c = strings.TrimSuffix(strings.TrimSpace(c), ",")
		name := strings.Fields(c)[0]
		has, err := s.hasColumn(ctx, db, table, name)
		if err != nil {
			return nil, err
		}
		if !has {
			missing = append(missing, "ADD COLUMN "+c)
		}
	}
	return missing, nil
}

func (s *Store) hasColumn(ctx context.Context, db, table, column string) (bool, error) {
	var n uint64
	row := s.conn.QueryRow(ctx, "SELECT count() FROM system.columns WHERE database = ? AND table = ? AND name = ?", db, table, column)
	if err := row.Scan(&n); err != nil {
		return false, fmt.Errorf("look up column %s.%s.%s: %w", db, table, column, err)
	}
	return n > 0, nil
}

func (s *Store) appliedVersions(ctx context.Context) (map[int]bool, error) {
	rows, err := s.conn.Query(ctx, "SELECT DISTINCT version FROM "+s.cfg.Database+".schema_migrations")
	if err != nil {
		return nil, fmt.Errorf("store: read schema_migrations: %w", err)
	}
	defer rows.Close()
	done := map[int]bool{}
	for rows.Next() {
		var v uint32
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		done[int(v)] = true
	}
	return done, rows.Err()
}

// record notes a migration as applied. It goes through a prepared batch:
// ClickHouse 18.16 never answers an INSERT ... VALUES sent as a plain query
// over the native protocol.
func (s *Store) record(ctx context.Context, m Migration) error {
	b, err := s.conn.PrepareBatch(ctx, "INSERT INTO "+s.cfg.Database+".schema_migrations (version, name)")
	if err != nil {
		return err
	}
	if err := b.Append(uint32(m.Version), m.Name); err != nil {
		return err
	}
	return b.Send()
}
