package store

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"
)

// Compaction is one table merged into a single part.
type Compaction struct {
	Table string
	Took  time.Duration
}

// Maintenance is what Compact did: on how many shards, the tables it
// merged, how many superseded scans it deleted from scan_state and of how
// many of those it deleted what they could not read
// (scan_unreadable_state).
type Maintenance struct {
	Shards           int
	Compacted        []Compaction
	ScansPruned      uint64
	UnreadablePruned uint64
}

func (m *Maintenance) add(o Maintenance) {
	m.Shards += o.Shards
	m.Compacted = append(m.Compacted, o.Compacted...)
	m.ScansPruned += o.ScansPruned
	m.UnreadablePruned += o.UnreadablePruned
}

// Compact merges every maintained table's parts into one (OPTIMIZE …
// FINAL), then deletes the scans superseded more than ScanHistory before
// now and what they could not read (pruneScans). An AggregatingMergeTree
// keeps a key's states in every part that holds one, and background merges
// leave four or five parts per key on a fleet re-scanned daily: every
// analysis merged them all again, which cost it more than the rewrite costs
// once a day (packaging/bench/analytics.sh). The raw events table is left
// alone: rewriting the whole history daily would cost more than analysts'
// queries of it save.
//
// On a cluster each shard is compacted through one of its replicas, the
// others following through the replication log: 18.16 refuses OPTIMIZE ON
// CLUSTER of replicated tables ("Unknown log entry type": both replicas ask
// the leader for one merge). The connected node does its own shard; each
// other shard is reached at the address system.clusters gives, with the
// same credentials, trying its replicas in order. A shard none of whose
// replicas answers is left for the next compaction and named in the error;
// the other shards are still compacted.
func (s *Store) Compact(ctx context.Context, now time.Time) (Maintenance, error) {
	before := now.Add(-ScanHistory)
	keep, err := s.keptScans(ctx, before)
	if err != nil {
		return Maintenance{}, err
	}
	done, err := s.compactShard(ctx, before, keep)
	if err != nil || s.cfg.Cluster == "" {
		return done, err
	}
	shards, err := s.otherShards(ctx)
	if err != nil {
		return done, err
	}
	var errs []error
	for _, addrs := range shards {
		m, err := s.compactAt(ctx, addrs, before, keep)
		done.add(m)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return done, errors.Join(errs...)
}

// compactShard compacts the connected node's local tables and prunes its
// scans from before, those of keep excepted.
func (s *Store) compactShard(ctx context.Context, before time.Time, keep []string) (Maintenance, error) {
	done := Maintenance{Shards: 1}
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
	done.ScansPruned, done.UnreadablePruned, err = s.pruneScans(ctx, before, keep)
	return done, err
}

// compactAt compacts and prunes the shard whose replicas answer at addrs.
func (s *Store) compactAt(ctx context.Context, addrs []string, before time.Time, keep []string) (Maintenance, error) {
	cfg := s.cfg
	cfg.Addr = addrs
	other := &Store{cfg: cfg}
	if err := other.dial(ctx, cfg.Database); err != nil {
		return Maintenance{}, fmt.Errorf("store: compact the shard at %v: %w", addrs, err)
	}
	defer other.Close()
	m, err := other.compactShard(ctx, before, keep)
	if err != nil {
		return m, fmt.Errorf("store: compact the shard at %v: %w", addrs, err)
	}
	return m, nil
}

// otherShards lists, for each shard of the cluster without a replica on
// the connected node, its replicas' native addresses in replica order.
func (s *Store) otherShards(ctx context.Context) ([][]string, error) {
	rows, err := s.conn.Query(ctx, `SELECT shard_num, host_address, port FROM system.clusters
		WHERE cluster = ? AND shard_num NOT IN (SELECT shard_num FROM system.clusters WHERE cluster = ? AND is_local = 1)
		ORDER BY shard_num, replica_num`, s.cfg.Cluster, s.cfg.Cluster)
	if err != nil {
		return nil, fmt.Errorf("store: list the shards of cluster %s: %w", s.cfg.Cluster, err)
	}
	defer rows.Close()
	var (
		out  [][]string
		last uint32
	)
	for rows.Next() {
		var (
			shard uint32
			host  string
			port  uint16
		)
		if err := rows.Scan(&shard, &host, &port); err != nil {
			return nil, fmt.Errorf("store: list the shards of cluster %s: %w", s.cfg.Cluster, err)
		}
		if len(out) == 0 || shard != last {
			out = append(out, nil)
			last = shard
		}
		out[len(out)-1] = append(out[len(out)-1], net.JoinHostPort(host, strconv.Itoa(int(port))))
	}
	return out, rows.Err()
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
