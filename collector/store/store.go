// Package store keeps events in ClickHouse: it connects over the native
// protocol, migrates the schema, inserts batches and answers the inventory
// query. It works on ClickHouse 18.16 and on current releases, adding TTL and
// LowCardinality only where the server has them.
package store

import (
	"context"
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
	cfg  Config
	ver  Version
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
	timeout := cfg.DialTimeout
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	conn, err := clickhouse.Open(&clickhouse.Options{
		Addr:        cfg.Addr,
		Auth:        clickhouse.Auth{Username: cfg.Username, Password: cfg.Password},
		DialTimeout: timeout,
		// A batch is sent a column at a time once the buffer holds 1 MiB,
		// and the buffer is dropped with the connection's release: kept,
		// every pooled connection would hold one as large as a batch.
		MaxCompressionBuffer: 1 << 20,
		FreeBufOnConnRelease: true,
	})
	if err != nil {
		return nil, fmt.Errorf("store: open %v: %w", cfg.Addr, err)
	}
	if err := conn.Ping(ctx); err != nil {
		conn.Close()
		return nil, fmt.Errorf("store: ping ClickHouse at %v: %w", cfg.Addr, err)
	}
	sv, err := conn.ServerVersion()
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("store: server version: %w", err)
	}
	return &Store{conn: conn, cfg: cfg, ver: Version{sv.Version.Major, sv.Version.Minor}}, nil
}

// Close closes the connection.
func (s *Store) Close() error { return s.conn.Close() }

// Ping checks that the server answers.
func (s *Store) Ping(ctx context.Context) error { return s.conn.Ping(ctx) }

// Database returns the database the store uses.
func (s *Store) Database() string { return s.cfg.Database }

// ServerVersion returns the server's major and minor version.
func (s *Store) ServerVersion() Version { return s.ver }

// Conn exposes the connection for queries outside this package (analytics).
func (s *Store) Conn() driver.Conn { return s.conn }

// Version is a ClickHouse server version.
type Version struct{ Major, Minor uint64 }

// AtLeast reports whether v is major.minor or newer.
func (v Version) AtLeast(major, minor uint64) bool {
	return v.Major > major || (v.Major == major && v.Minor >= minor)
}
