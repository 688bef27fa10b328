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
// before, of every host and plugin with a complete full scan since: every
// reader of scan_state (presence, fresh scans for ticket verification)
// asks for the latest complete full scan of each host and plugin, which
// such scans can never be again. A host and plugin without one since
// before keep all their scans: the last complete one still decides, and
// a scan whose late parts are still to come may yet complete. Without it
// scan_state gained a row per host, plugin and scan for ever, and every
// analysis read them all (720,000 on the benchmark fleet after 36 days).
// It returns how many rows it deletes; the delete (a mutation) finishes in
// the background.
func (s *Store) pruneScans(ctx context.Context, before time.Time) (uint64, error) {
	table := s.cfg.Database + ".scan_state"
	cutoff := "toDateTime(" + strconv.FormatInt(before.Unix(), 10) + ")"
	keep, err := s.hashes(ctx, `SELECT cityHash64(host, plugin) FROM (
			SELECT host, plugin, scan_id, maxMerge(started_at) AS started, maxMerge(full) AS full,
				maxMerge(parts) AS parts, length(groupUniqArrayMerge(parts_seen)) AS got
			FROM `+table+` GROUP BY host, plugin, scan_id)
		GROUP BY host, plugin
		HAVING maxIf(started, full = 1 AND got >= parts) < `+cutoff)
	if err != nil {
		return 0, fmt.Errorf("store: prune scans: %w", err)
	}
	// The pairs to keep are named by hash: no host name is spelled into
	// the statement, and a collision only keeps more.
	where := "finalizeAggregation(started_at) < " + cutoff
	if len(keep) > 0 {
		where += " AND cityHash64(host, plugin) NOT IN (" + strings.Join(keep, ", ") + ")"
	}
	var n uint64
	// Thousands of kept pairs spell a statement longer than the server's
	// default limit (256 KiB).
	ctx = clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"max_query_size": 1<<18 + 24*len(keep)}))
	if err := s.conn.QueryRow(ctx, "SELECT count() FROM "+table+" WHERE "+where).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: prune scans: count: %w", err)
	}
	if n == 0 {
		return 0, nil
	}
	if err := s.conn.Exec(ctx, "ALTER TABLE "+table+" DELETE WHERE "+where); err != nil {
		return 0, fmt.Errorf("store: prune scans: %w", err)
	}
	return n, nil
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
