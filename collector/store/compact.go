package store

import (
	"context"
	"fmt"
	"time"
)

// Compaction is one table merged into a single part.
type Compaction struct {
	Table string
	Took  time.Duration
}

// Maintenance is what Compact did: the tables it merged, how many
// superseded scans it deleted from scan_state and of how many of those it
// deleted what they could not read (scan_unreadable_state).
type Maintenance struct {
	Compacted        []Compaction
	ScansPruned      uint64
	UnreadablePruned uint64
}

// Compact merges every maintained table's parts into one (OPTIMIZE …
// FINAL), then deletes the scans superseded more than ScanHistory before
// now and what they could not read (pruneScans). An AggregatingMergeTree keeps a key's states in every
// part that holds one, and background merges leave four or five parts per
// key on a fleet re-scanned daily: every analysis merged them all again,
// which cost it more than the rewrite costs once a day
// (packaging/bench/analytics.sh). The raw events table is left alone:
// rewriting the whole history daily would cost more than analysts'
// queries of it save. On a cluster the connected node's shard is
// compacted, its replicas following through the replication log; 18.16
// refuses OPTIMIZE ON CLUSTER of replicated tables ("Unknown log entry
// type": both replicas ask the leader for one merge), so a cluster of
// several shards compacts and prunes only that node's shard.
func (s *Store) Compact(ctx context.Context, now time.Time) (Maintenance, error) {
	var done Maintenance
	tables, err := s.maintainedTables(ctx)
	if err != nil {
		return done, err
	}
	for _, t := range tables {
		start := time.Now()
		if err := s.conn.Exec(ctx, "OPTIMIZE TABLE "+s.cfg.Database+"."+t+" FINAL"); err != nil {
			return done, fmt.Errorf("store: compact %s.%s: %w", s.cfg.Database, t, err)
		}
		done.Compacted = append(done.Compacted, Compaction{Table: t, Took: time.Since(start)})
	}
	// After the merges: a mutation still rewriting scan_state's parts
	// would keep OPTIMIZE from selecting them.
	done.ScansPruned, done.UnreadablePruned, err = s.pruneScans(ctx, now.Add(-ScanHistory))
	return done, err
}

// maintainedTables lists the database's local tables whose rows merge
// (the aggregate states and the replacing tables, findings and tickets,
// read FINAL) and that have more than one part: one part has nothing to
// merge, and on 18.16 OPTIMIZE of an empty replicated table fails.
func (s *Store) maintainedTables(ctx context.Context) ([]string, error) {
	rows, err := s.conn.Query(ctx, `SELECT name FROM system.tables
		WHERE database = ? AND name != 'events' AND match(engine, '^(Replicated)?(Aggregating|Replacing)MergeTree$')
			AND name IN (SELECT table FROM system.parts WHERE database = ? AND active GROUP BY table HAVING count() > 1)
		ORDER BY name`, s.cfg.Database, s.cfg.Database)
	if err != nil {
		return nil, fmt.Errorf("store: list tables to compact: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, fmt.Errorf("store: list tables to compact: %w", err)
		}
		out = append(out, name)
	}
	return out, rows.Err()
}
