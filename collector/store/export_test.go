package store

import (
	"context"
	"fmt"
)

// ApplyBefore leaves the database as a collector from before version did:
// created, with the migrations older than version applied and recorded. It
// returns every migration of today.
func (s *Store) ApplyBefore(ctx context.Context, version int) ([]Migration, error) {
	if err := s.conn.Exec(ctx, "CREATE DATABASE "+s.cfg.Database); err != nil {
		return nil, err
	}
	if err := s.dial(ctx, s.cfg.Database); err != nil { // as Migrate does once it created the database
		return nil, err
	}
	ms, err := Migrations(s.cfg.Database, "", FeaturesFor(s.ver), 0)
	if err != nil {
		return nil, err
	}
	if err := s.conn.Exec(ctx, "CREATE TABLE "+s.cfg.Database+".schema_migrations (version UInt32, name String, applied_at DateTime DEFAULT now()) ENGINE = ReplacingMergeTree() ORDER BY version"); err != nil {
		return nil, err
	}
	for _, m := range ms {
		if m.Version >= version {
			continue
		}
		for _, stmt := range m.SQL {
			if err := s.exec(ctx, stmt); err != nil {
				return nil, fmt.Errorf("%s: %w", m.Name, err)
			}
		}
		if err := s.record(ctx, m); err != nil {
			return nil, err
		}
	}
	return ms, nil
}

// SetUnreadableBatch sets how many scans one delete of
// scan_unreadable_state names, until the test ends.
func SetUnreadableBatch(t interface{ Cleanup(func()) }, n int) {
	was := unreadableBatch
	unreadableBatch = n
	t.Cleanup(func() { unreadableBatch = was })
}

// AwaitMutations waits until the table's deletes are done, as compaction's
// batches do.
func (s *Store) AwaitMutations(ctx context.Context, table string) error {
	return s.awaitMutations(ctx, table)
}
