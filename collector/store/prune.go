package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// ScanHistory is how long Compact keeps the scans a newer complete full
// scan of the same host and plugin has superseded.
const ScanHistory = 7 * 24 * time.Hour

// pruneScans deletes from scan_state the scans that started before
// before, of every host and plugin with a complete full scan since (keep
// names the others, keptScans): every reader of scan_state (presence,
// fresh scans for ticket verification) asks for the latest complete full
// scan of each host and plugin, which such scans can never be again. A
// host and plugin without one since before keep all their scans: the last
// complete one still decides, and a scan whose late parts are still to
// come may yet complete. Without it scan_state gained a row per host,
// plugin and scan for ever, and every analysis read them all (720,000 on
// the benchmark fleet after 36 days). It returns how many rows it deletes,
// and of how many scans it deletes the unreadable paths; the scan_state
// delete (a mutation) finishes in the background.
func (s *Store) pruneScans(ctx context.Context, before time.Time, keep []string) (scans, unreadable uint64, err error) {
	table := s.cfg.Database + ".scan_state"
	where := "finalizeAggregation(started_at) < " + dateTime(before)
	if len(keep) > 0 {
		where += " AND cityHash64(host, plugin) NOT IN (" + strings.Join(keep, ", ") + ")"
	}
	var n uint64
	ctx = withQuerySize(ctx, len(keep))
	if err := s.conn.QueryRow(ctx, "SELECT count() FROM "+table+" WHERE "+where).Scan(&n); err != nil {
		return 0, 0, fmt.Errorf("store: prune scans: count: %w", err)
	}
	if n == 0 {
		return 0, 0, nil
	}
	// Before the scans go: which those are is asked of scan_state. Should
	// it fail, the scans stay for the next compaction to try again.
	if unreadable, err = s.pruneUnreadable(ctx, "SELECT host, plugin, scan_id FROM "+table+" WHERE "+where); err != nil {
		return 0, 0, err
	}
	if err := s.conn.Exec(ctx, "ALTER TABLE "+table+" DELETE WHERE "+where); err != nil {
		return 0, 0, fmt.Errorf("store: prune scans: %w", err)
	}
	return n, unreadable, nil
}

// keptScans names, by cityHash64(host, plugin), the hosts and plugins
// without a complete full scan since before, over the whole cluster: a
// shard holds the states of the events it received (events are sharded by
// event_id), so its own rows may show a scan incomplete or none at all.
// A hash rather than the names: no host name is spelled into a statement,
// and a collision only keeps more. A shard that does not answer is left
// out (skip_unavailable_shards), which also only keeps more: rows left out
// can make a host's latest scan look incomplete or absent, never complete,
// and that shard is not pruned itself.
func (s *Store) keptScans(ctx context.Context, before time.Time) ([]string, error) {
	if s.cfg.Cluster != "" {
		ctx = clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"skip_unavailable_shards": 1}))
	}
	keep, err := s.hashes(ctx, `SELECT cityHash64(host, plugin) FROM (
			SELECT host, plugin, scan_id, maxMerge(started_at) AS started, maxMerge(full) AS full,
				maxMerge(parts) AS parts, length(groupUniqArrayMerge(parts_seen)) AS got
			FROM `+s.cfg.Database+"."+s.Table("scan_state")+` GROUP BY host, plugin, scan_id)
		GROUP BY host, plugin
		HAVING maxIf(started, full = 1 AND got >= parts) < `+dateTime(before))
	if err != nil {
		return nil, fmt.Errorf("store: prune scans: %w", err)
	}
	return keep, nil
}

func dateTime(t time.Time) string { return "toDateTime(" + strconv.FormatInt(t.Unix(), 10) + ")" }

// withQuerySize lets a statement spell n hashes: thousands of kept pairs
// spell one longer than the server's default limit (256 KiB).
func withQuerySize(ctx context.Context, n int) context.Context {
	return clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"max_query_size": 1<<18 + 48*n}))
}

// unreadableBatch bounds the scans one delete of scan_unreadable_state
// names: two hashes each, about 45 bytes of statement. A variable for the
// test of several batches.
var unreadableBatch = 20_000

// pruneUnreadable deletes from scan_unreadable_state what the scans pruned
// (the query pruned returns them) could not read: it is asked only about
// the scan it was reported by, and otherwise grew a row per scan that met
// an unreadable path, for ever, which every analysis read. 18.16 mutations
// take no subquery, so the scans are named, by two independent hashes of
// host, plugin and scan_id (no agent's string is spelled into SQL; both
// colliding with a kept scan is beyond reach), in batches in key order.
func (s *Store) pruneUnreadable(ctx context.Context, pruned string) (uint64, error) {
	table := s.cfg.Database + ".scan_unreadable_state"
	var (
		after []string // the last scan of the batch before: host, plugin, scan_id
		n     uint64
	)
	for {
		keys, last, err := s.unreadableOf(ctx, table, pruned, after)
		if err != nil || len(keys) == 0 {
			return n, err
		}
		if err := s.conn.Exec(withQuerySize(ctx, len(keys)), "ALTER TABLE "+table+" DELETE WHERE (cityHash64(host, plugin, scan_id), sipHash64(host, plugin, scan_id)) IN ("+
			strings.Join(keys, ", ")+")"); err != nil {
			return n, fmt.Errorf("store: prune unreadable paths: %w", err)
		}
		n += uint64(len(keys))
		if len(keys) < unreadableBatch {
			return n, nil
		}
		// 18.16 applies only the newest of the deletes queued on a part
		// (the others' rows stayed, TestPruneUnreadableInBatches): each
		// batch waits for the one before.
		if err := s.awaitMutations(ctx, "scan_unreadable_state"); err != nil {
			return n, err
		}
		after = last
	}
}

// unreadableOf names, by their two hashes, the next batch of pruned scans
// after after (nil: from the first) that reported unreadable paths, and
// returns the last of them.
func (s *Store) unreadableOf(ctx context.Context, table, pruned string, after []string) (keys, last []string, err error) {
	from, args := "", []any{}
	if after != nil {
		from, args = " AND (host, plugin, scan_id) > (?, ?, ?)", []any{after[0], after[1], after[2]}
	}
	rows, err := s.conn.Query(ctx, `SELECT host, plugin, scan_id, cityHash64(host, plugin, scan_id), sipHash64(host, plugin, scan_id)
		FROM `+table+` WHERE (host, plugin, scan_id) IN (`+pruned+`)`+from+`
		GROUP BY host, plugin, scan_id ORDER BY host, plugin, scan_id LIMIT `+strconv.Itoa(unreadableBatch), args...)
	if err != nil {
		return nil, nil, fmt.Errorf("store: prune unreadable paths: %w", err)
	}
	defer rows.Close()
	last = make([]string, 3)
	for rows.Next() {
		var city, sip uint64
		if err := rows.Scan(&last[0], &last[1], &last[2], &city, &sip); err != nil {
			return nil, nil, fmt.Errorf("store: prune unreadable paths: %w", err)
		}
		keys = append(keys, "("+strconv.FormatUint(city, 10)+", "+strconv.FormatUint(sip, 10)+")")
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("store: prune unreadable paths: %w", err)
	}
	return keys, last, nil
}

// mutationWait bounds how long a batch waits for the delete before it.
const mutationWait = 10 * time.Minute

// awaitMutations waits until the local table's mutations are done.
func (s *Store) awaitMutations(ctx context.Context, table string) error {
	ctx, cancel := context.WithTimeout(ctx, mutationWait)
	defer cancel()
	for {
		var pending uint64
		if err := s.conn.QueryRow(ctx, "SELECT count() FROM system.mutations WHERE database = ? AND table = ? AND is_done = 0",
			s.cfg.Database, table).Scan(&pending); err != nil {
			return fmt.Errorf("store: wait for the deletes of %s.%s: %w", s.cfg.Database, table, err)
		}
		if pending == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("store: %d deletes of %s.%s still running: %w", pending, s.cfg.Database, table, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// hashes runs q, which returns UInt64s, and spells them as literals.
func (s *Store) hashes(ctx context.Context, q string) ([]string, error) {
	rows, err := s.conn.Query(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var h uint64
		if err := rows.Scan(&h); err != nil {
			return nil, err
		}
		out = append(out, strconv.FormatUint(h, 10))
	}
	return out, rows.Err()
}
