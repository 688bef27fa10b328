// Command analyticsbench feeds and measures the governance benchmark
// (packaging/bench/analytics.sh): it writes a synthetic fleet's history
// into ClickHouse through the collector's own insert path, then times each
// detector's question asked as the simplest correct SQL over raw events,
// the reference the detectors are held against in the same run.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"runtime/pprof"
	"sort"
	"strings"
	"time"

	"github.com/nhiradar/nhiradar/analytics/analyze"
	"github.com/nhiradar/nhiradar/analytics/policy"
	"github.com/nhiradar/nhiradar/collector/store"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

func main() {
	addr := flag.String("clickhouse", "127.0.0.1:19000", "ClickHouse native address")
	db := flag.String("database", "nhi_bench_analytics", "database to fill and measure")
	load := flag.Bool("load", false, "drop the database, migrate it and load the fleet")
	events := flag.Int("events", 10_000_000, "events to load (about; rounds are whole days)")
	hosts := flag.Int("hosts", 5000, "hosts")
	identities := flag.Int("identities", 200_000, "identities")
	now := flag.String("now", "", "the fleet's last day, RFC 3339 (default: now)")
	refs := flag.Bool("references", false, "time the plain-SQL references and print them as JSON")
	repeat := flag.Int("repeat", 3, "runs of each reference (the median is reported)")
	profile := flag.String("profile", "", "analyse once in this process with this policy file, writing CPU and heap profiles to /tmp/analyticsbench.{cpu,heap}")
	flag.Parse()
	ctx := context.Background()
	at := time.Now().UTC().Truncate(time.Second)
	if *now != "" {
		t, err := time.Parse(time.RFC3339, *now)
		if err != nil {
			fail("-now", err)
		}
		at = t.UTC()
	}
	st, err := store.Open(ctx, store.Config{Addr: []string{*addr}, Database: *db})
	if err != nil {
		fail("open", err)
	}
	defer st.Close()
	if *load {
		f := &fleet{hosts: *hosts, identities: *identities, now: at, seed: 42}
		if err := loadFleet(ctx, st, f, *events); err != nil {
			fail("load", err)
		}
	}
	if *profile != "" {
		if err := profiled(ctx, st, *profile, at); err != nil {
			fail("profile", err)
		}
	}
	if *refs {
		out, err := references(ctx, st, at, *repeat)
		if err != nil {
			fail("references", err)
		}
		if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
			fail("write", err)
		}
	}
}

func fail(what string, err error) {
	slog.Error("analyticsbench: "+what, "err", err)
	os.Exit(1)
}

// loadFleet migrates a fresh database and inserts whole days of the fleet
// until about n events are in, oldest day first, as agents would send them.
func loadFleet(ctx context.Context, st *store.Store, f *fleet, n int) error {
	if err := st.Conn().Exec(ctx, "DROP DATABASE IF EXISTS "+st.Database()); err != nil {
		return fmt.Errorf("drop: %w", err)
	}
	if err := st.Conn().Exec(ctx, "CREATE DATABASE "+st.Database()); err != nil {
		return fmt.Errorf("create: %w", err)
	}
	if _, err := st.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	owned := make([][]int, f.hosts)
	total := 0
	for i := 0; i < f.identities; i++ {
		for _, h := range f.hostsOf(i) {
			owned[h] = append(owned[h], i)
			total++
		}
	}
	// One day: every sighting, four scans and a heartbeat per host, and
	// the accounts' logins (about an eighth of the sightings).
	perDay := total + total/8 + 5*f.hosts
	f.rounds = max(1, n/perDay)
	slog.Info("loading", "hosts", f.hosts, "identities", f.identities, "days", f.rounds, "events_about", f.rounds*perDay)
	rng := rand.New(rand.NewPCG(7, 7))
	start, inserted := time.Now(), 0
	batch := make([]*event.Event, 0, 60_000)
	for r := 0; r < f.rounds; r++ {
		for h := 0; h < f.hosts; h++ {
			batch = append(batch, f.day(h, r, owned[h], rng)...)
			if len(batch) >= 50_000 {
				if err := st.InsertEvents(ctx, batch); err != nil {
					return fmt.Errorf("insert day %d: %w", r, err)
				}
				inserted += len(batch)
				batch = batch[:0]
			}
		}
		slog.Info("day loaded", "day", r+1, "of", f.rounds, "events", inserted, "per_second", int(float64(inserted)/time.Since(start).Seconds()))
	}
	if len(batch) > 0 {
		if err := st.InsertEvents(ctx, batch); err != nil {
			return fmt.Errorf("insert: %w", err)
		}
		inserted += len(batch)
	}
	slog.Info("loaded", "events", inserted, "seconds", time.Since(start).Seconds())
	return settle(ctx, st)
}

// settle waits for the background merges the inserts started, as a
// collector's tables would have between two analyses.
func settle(ctx context.Context, st *store.Store) error {
	deadline := time.Now().Add(10 * time.Minute)
	for time.Now().Before(deadline) {
		var n uint64
		if err := st.Conn().QueryRow(ctx, "SELECT count() FROM system.merges WHERE database = ?", st.Database()).Scan(&n); err != nil {
			return fmt.Errorf("merges: %w", err)
		}
		if n == 0 {
			return nil
		}
		time.Sleep(2 * time.Second)
	}
	return nil
}

// reference is one detector's question as plain SQL over raw events.
type reference struct {
	Rule string `json:"rule"`
	SQL  string `json:"-"`
	// Seconds is the median of the runs; Rows what the query returned.
	Seconds float64 `json:"seconds"`
	Rows    uint64  `json:"rows"`
}

// plainSQL asks each detector's question of the raw events the simplest
// correct way a person with SQL would: no maintained tables, no policy.
func plainSQL(db string, now time.Time) []reference {
	ts := func(d time.Duration) string {
		return fmt.Sprintf("toDateTime('%s')", now.Add(-d).Format("2006-01-02 15:04:05"))
	}
	day := 24 * time.Hour
	ev := db + ".events"
	return []reference{
		{Rule: "inventory", SQL: `SELECT nhi_id, any(kind), any(principal), groupUniqArray(host), groupUniqArray(location),
			min(time), max(time) FROM ` + ev + ` WHERE type = 'nhi_observed' GROUP BY nhi_id`},
		{Rule: "dormant", SQL: `SELECT nhi_id FROM (SELECT nhi_id FROM ` + ev + ` WHERE type = 'nhi_observed' GROUP BY nhi_id)
			ANY LEFT JOIN (SELECT nhi_id, max(used_at) AS last FROM ` + ev + ` WHERE type = 'usage_evidence' AND nhi_id != '' GROUP BY nhi_id) USING nhi_id
			WHERE last < ` + ts(90*day)},
		{Rule: "ownerless", SQL: `SELECT nhi_id FROM ` + ev + ` WHERE type = 'nhi_observed' GROUP BY nhi_id
			HAVING max(notEmpty(owner_hints)) = 0 AND max(account NOT IN ('', 'root')) = 0 AND max(file_owner NOT IN ('', 'root')) = 0`},
		{Rule: "long_lived", SQL: `SELECT nhi_id FROM ` + ev + ` WHERE type = 'nhi_observed' GROUP BY nhi_id
			HAVING minIf(modified_at, modified_at > toDateTime(0)) < ` + ts(365*day)},
		{Rule: "expired", SQL: `SELECT nhi_id FROM ` + ev + ` WHERE type = 'nhi_observed' AND expires_at > toDateTime(0) GROUP BY nhi_id
			HAVING max(expires_at) < ` + ts(0)},
		{Rule: "reused", SQL: `SELECT fingerprint FROM ` + ev + ` WHERE type = 'nhi_observed' AND fingerprint != '' GROUP BY fingerprint
			HAVING uniqExact(host) > 3`},
		{Rule: "exposed_file", SQL: `SELECT host, nhi_id, location FROM ` + ev + ` WHERE type = 'nhi_observed' AND location != ''
			GROUP BY host, nhi_id, location HAVING match(argMax(file_mode, time), '[4-7].$|[4-7]$')`},
		{Rule: "secret_in_command_line", SQL: `SELECT host, nhi_id, location FROM ` + ev + ` WHERE type = 'nhi_observed'
			GROUP BY host, nhi_id, location HAVING has(['cmdline', 'exec_start', 'cron_command'], argMax(attr_values[indexOf(attr_keys, 'source')], time))`},
		{Rule: "human_use", SQL: `SELECT host, principal, actor FROM ` + ev + ` WHERE type = 'usage_evidence' AND kind = 'os_service_account'
			AND actor NOT LIKE '%.%' AND actor != '' AND used_at > ` + ts(90*day) + ` GROUP BY host, principal, actor`},
		{Rule: "overprivileged", SQL: `SELECT host, nhi_id FROM ` + ev + ` WHERE type = 'nhi_observed' AND kind = 'os_service_account'
			GROUP BY host, nhi_id HAVING argMax(attr_values[indexOf(attr_keys, 'sudo_nopasswd')], time) = 'true'
			OR hasAny(splitByChar(',', argMax(attr_values[indexOf(attr_keys, 'groups')], time)), ['sudo', 'wheel', 'docker'])`},
	}
}

func references(ctx context.Context, st *store.Store, now time.Time, repeat int) ([]reference, error) {
	refs := plainSQL(st.Database(), now)
	for i := range refs {
		var runs []float64
		for k := 0; k < repeat; k++ {
			start := time.Now()
			n, err := countRows(ctx, st, refs[i].SQL)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", refs[i].Rule, err)
			}
			runs = append(runs, time.Since(start).Seconds())
			refs[i].Rows = n
		}
		sort.Float64s(runs)
		refs[i].Seconds = runs[len(runs)/2]
	}
	return refs, nil
}

// countRows runs q and reads every row it returns, as a detector must.
func countRows(ctx context.Context, st *store.Store, q string) (uint64, error) {
	rows, err := st.Conn().Query(ctx, strings.TrimSpace(q))
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var n uint64
	for rows.Next() {
		n++
	}
	return n, rows.Err()
}

func profiled(ctx context.Context, st *store.Store, policyFile string, now time.Time) error {
	p, err := policy.Load(policyFile)
	if err != nil {
		return err
	}
	cpu, err := os.Create("/tmp/analyticsbench.cpu")
	if err != nil {
		return err
	}
	defer cpu.Close()
	if err := pprof.StartCPUProfile(cpu); err != nil {
		return err
	}
	sum, err := analyze.Run(ctx, st, analyze.Options{Policy: p, Now: now})
	pprof.StopCPUProfile()
	if err != nil {
		return err
	}
	for _, s := range sum.Timings {
		fmt.Printf("%-24s %.3fs\n", s.Name, s.Seconds)
	}
	heap, err := os.Create("/tmp/analyticsbench.heap")
	if err != nil {
		return err
	}
	defer heap.Close()
	return pprof.Lookup("allocs").WriteTo(heap, 0)
}
