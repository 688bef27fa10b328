// Package store is NHI Radar's ClickHouse database: the connection (bound
// to the database, so that statements and analysts' SQL name tables
// alone), the schema and its migrations under a lock shared by a group of
// collectors, and Table, which names a table on a single server or a
// cluster. It works on ClickHouse 18.16 and on current releases, adding TTL
// and LowCardinality only where the server has them.
//
// What is kept in the database is read and written by the packages beside
// it, each built on a *Store: eventdb writes events, inventory reads the
// identities derived from them, findingdb and ticketdb keep the governance
// tables.
package store

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Config says which server and database to use.
type Config struct {
	Addr     []string
	Database string
	Username string
	Password string
	// Cluster, when set, makes migrations emit ON CLUSTER DDL with
	// Replicated engines.
	Cluster string
	// RetentionDays drops raw events older than this where the server supports
	// TTL (0 keeps them for ever).
	RetentionDays int
	DialTimeout   time.Duration
}

// Store is a connection to ClickHouse.
type Store struct {
	conn driver.Conn
	// bound says conn's default database is cfg.Database: false only
	// until Migrate has created a database that did not exist.
	bound bool
	cfg   Config
	ver   Version
	// lockTTL is how long the migration lock outlives a holder that stops
	// renewing it (defaultLockTTL when zero; tests shorten it).
	lockTTL time.Duration
}

var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Open connects and reads the server version.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Database == "" {
		cfg.Database = "nhi"
	}
	if !identifier.MatchString(cfg.Database) {
		return nil, fmt.Errorf("store: database name %q is not a plain identifier", cfg.Database)
	}
	if cfg.Cluster != "" && !identifier.MatchString(cfg.Cluster) {
		return nil, fmt.Errorf("store: cluster name %q is not a plain identifier", cfg.Cluster)
	}
	if cfg.Username == "" {
		cfg.Username = "default"
	}
	s := &Store{cfg: cfg}
	if err := s.dial(ctx, cfg.Database); err != nil {
		var exc *clickhouse.Exception
		if !errors.As(err, &exc) || exc.Code != unknownDatabase {
			return nil, err
		}
		// Not created yet: Migrate creates it and binds the connection.
		if err := s.dial(ctx, ""); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// unknownDatabase is ClickHouse's code for a default database that does
// not exist (UNKNOWN_DATABASE).
const unknownDatabase = 81

// dial opens the connection with database as every query's default: the
// statements name tables alone, and analysts' SQL runs as written.
func (s *Store) dial(ctx context.Context, database string) error {
	timeout := s.cfg.DialTimeout
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	conn, err := clickhouse.Open(&clickhouse.Options{
		Addr:        s.cfg.Addr,
		Auth:        clickhouse.Auth{Database: database, Username: s.cfg.Username, Password: s.cfg.Password},
		DialTimeout: timeout,
		// A batch is sent a column at a time once the buffer holds 1 MiB,
		// and the buffer is dropped with the connection's release: kept,
		// every pooled connection would hold one as large as a batch.
		MaxCompressionBuffer: 1 << 20,
		FreeBufOnConnRelease: true,
	})
	if err != nil {
		return fmt.Errorf("store: open %v: %w", s.cfg.Addr, err)
	}
	if err := conn.Ping(ctx); err != nil {
		conn.Close()
		return fmt.Errorf("store: ping ClickHouse at %v: %w", s.cfg.Addr, err)
	}
	sv, err := conn.ServerVersion()
	if err != nil {
		conn.Close()
		return fmt.Errorf("store: server version: %w", err)
	}
	if s.conn != nil {
		s.conn.Close()
	}
	s.conn, s.bound, s.ver = conn, database != "", Version{sv.Version.Major, sv.Version.Minor}
	return nil
}

// Close closes the connection.
func (s *Store) Close() error { return s.conn.Close() }

// Ping checks that the server answers.
func (s *Store) Ping(ctx context.Context) error { return s.conn.Ping(ctx) }

// Database returns the database the store uses, for messages and
// namespaces: statements need not name it, the connection is bound to it.
func (s *Store) Database() string { return s.cfg.Database }

// ServerVersion returns the server's major and minor version.
func (s *Store) ServerVersion() Version { return s.ver }

// Conn is the connection, bound to the database, for the packages that
// read and write its tables (eventdb, inventory, findingdb, ticketdb) and
// for analytics' queries.
func (s *Store) Conn() driver.Conn { return s.conn }

// Version is a ClickHouse server version.
type Version struct{ Major, Minor uint64 }

// AtLeast reports whether v is major.minor or newer.
func (v Version) AtLeast(major, minor uint64) bool {
	return v.Major > major || (v.Major == major && v.Minor >= minor)
}
