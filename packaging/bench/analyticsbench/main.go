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
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime/metrics"
	"runtime/pprof"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/nhiradar/nhiradar/analytics/analyze"
	"github.com/nhiradar/nhiradar/analytics/policy"
	"github.com/nhiradar/nhiradar/collector/store"
	"github.com/nhiradar/nhiradar/collector/store/eventdb"
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
	measure := flag.String("measure", "", "time the references and two analyses by this nhictl binary, print a Markdown report")
	policyFile := flag.String("policy", "packaging/bench/analyticsbench/policy.yaml", "policy of the measured analyses")
	compact := flag.Bool("compact", false, "compact the maintained tables (store.Compact), as the analysing collector does daily, and print how long each took")
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
	if *compact {
		if err := compactTables(ctx, st, at); err != nil {
			fail("compact", err)
		}
	}
	if *profile != "" {
		if err := profiled(ctx, st, *profile, at); err != nil {
			fail("profile", err)
		}
	}
	if *measure != "" {
		if err := measureAll(ctx, st, *measure, *addr, *policyFile, at, *repeat); err != nil {
			fail("measure", err)
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
		if r == f.rounds-1 && r > 0 {
			// The analysing collector compacts daily (--compact-every): an
			// analysis reads a compacted history and a day of new parts.
			if err := flushDay(ctx, st, &batch, &inserted); err != nil {
				return err
			}
			if err := settle(ctx, st); err != nil {
				return err
			}
			if err := compactTables(ctx, st, f.now.Add(-24*time.Hour)); err != nil { // the day just loaded
				return err
			}
		}
		for h := 0; h < f.hosts; h++ {
			batch = append(batch, f.day(h, r, owned[h], rng)...)
			if len(batch) >= 50_000 {
				if err := flushDay(ctx, st, &batch, &inserted); err != nil {
					return fmt.Errorf("day %d: %w", r, err)
				}
			}
		}
		slog.Info("day loaded", "day", r+1, "of", f.rounds, "events", inserted, "per_second", int(float64(inserted)/time.Since(start).Seconds()))
	}
	if err := flushDay(ctx, st, &batch, &inserted); err != nil {
		return err
	}
	slog.Info("loaded", "events", inserted, "seconds", time.Since(start).Seconds())
	return settle(ctx, st)
}

// flushDay inserts what batch holds through the collector's insert path.
func flushDay(ctx context.Context, st *store.Store, batch *[]*event.Event, inserted *int) error {
	if len(*batch) == 0 {
		return nil
	}
	if err := eventdb.New(st).InsertEvents(ctx, *batch); err != nil {
		return fmt.Errorf("insert: %w", err)
	}
	*inserted += len(*batch)
	*batch = (*batch)[:0]
	return nil
}

// compactTables compacts as the analysing collector does at now, and logs
// it.
func compactTables(ctx context.Context, st *store.Store, now time.Time) error {
	start := time.Now()
	done, err := st.Compact(ctx, now)
	if err != nil {
		return err
	}
	for _, c := range done.Compacted {
		slog.Info("compacted", "table", c.Table, "seconds", c.Took.Seconds())
	}
	slog.Info("maintained tables compacted", "tables", len(done.Compacted), "superseded_scan_rows", done.ScansPruned, "unreadable_of_scans", done.UnreadablePruned,
		"seconds", time.Since(start).Seconds())
	return nil
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
// correct way a person with SQL would: no maintained tables, no policy. The
// tables are named alone, as analysts do: the connection's default database
// is the store's.
func plainSQL(now time.Time) []reference {
	ts := func(d time.Duration) string {
		return fmt.Sprintf("toDateTime('%s')", now.Add(-d).Format("2006-01-02 15:04:05"))
	}
	day := 24 * time.Hour
	ev := "events"
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
		// A password ssh login into a service account (its actor is the
		// source address) is a person's, as su and sudo by anyone but root
		// or the account itself are.
		{Rule: "human_use", SQL: `SELECT host, principal, evidence, actor FROM ` + ev + ` WHERE type = 'usage_evidence' AND kind = 'os_service_account'
			AND evidence IN ('ssh_login', 'su', 'sudo') AND (evidence = 'ssh_login' OR (actor NOT IN ('', 'root') AND actor != principal))
			AND used_at > ` + ts(90*day) + ` GROUP BY host, principal, evidence, actor`},
		{Rule: "overprivileged", SQL: `SELECT host, nhi_id FROM ` + ev + ` WHERE type = 'nhi_observed' AND kind = 'os_service_account'
			GROUP BY host, nhi_id HAVING argMax(attr_values[indexOf(attr_keys, 'sudo_nopasswd')], time) = 'true'
			OR hasAny(splitByChar(',', argMax(attr_values[indexOf(attr_keys, 'groups')], time)), ['sudo', 'wheel', 'docker'])`},
	}
}

func references(ctx context.Context, st *store.Store, now time.Time, repeat int) ([]reference, error) {
	refs := plainSQL(now)
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
	done := make(chan struct{})
	go peakHeap(done)
	sum, err := analyze.Run(ctx, st, analyze.Options{Policy: p, Now: now})
	close(done)
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

// analysisRun is one `nhictl analyze` as a child process.
type analysisRun struct {
	Label   string
	Wall    time.Duration
	MaxRSS  int64 // bytes
	Steps   map[string]float64
	Summary string
}

// analyse runs the real CLI, as an operator or the collector's schedule
// would, and reads its peak memory from the kernel.
func analyse(ctx context.Context, nhictl, addr, db, policyFile string, now time.Time, label string) (*analysisRun, error) {
	cmd := exec.CommandContext(ctx, nhictl, "--clickhouse", addr, "--database", db, "analyze", "--no-tickets", "--timings",
		"--policy", policyFile, "--now", now.Format(time.RFC3339))
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s: %w\n%s", label, err, out.String())
	}
	r := &analysisRun{Label: label, Wall: time.Since(start), Steps: map[string]float64{}}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.MaxRSS = ru.Maxrss * 1024
	}
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.HasPrefix(line, "analysis ") {
			r.Summary = line
		}
		if rest, ok := strings.CutPrefix(line, "took "); ok {
			_, steps, _ := strings.Cut(rest, ": ")
			for _, s := range strings.Split(steps, ", ") {
				i := strings.LastIndex(s, " ")
				if i < 0 {
					continue
				}
				var v float64
				fmt.Sscanf(strings.TrimSuffix(s[i+1:], "s"), "%g", &v)
				r.Steps[s[:i]] = v
			}
		}
	}
	if len(r.Steps) == 0 {
		return nil, fmt.Errorf("%s: no timings in the output:\n%s", label, out.String())
	}
	return r, nil
}

// referenceOf names the plain-SQL question each step is held against.
var referenceOf = map[string]string{
	"inventory": "inventory", "dormant": "dormant", "ownerless": "ownerless", "owner_departed": "ownerless",
	"long_lived": "long_lived", "expired": "expired", "expiring": "expired", "reused": "reused",
	"cross_environment": "reused", "exposed_file": "exposed_file", "secret_in_command_line": "secret_in_command_line",
	"human_use": "human_use", "overprivileged": "overprivileged",
}

var stepOrder = []string{"previous findings", "inventory", "owners", "dormant", "ownerless", "owner_departed", "long_lived", "expired",
	"expiring", "reused", "cross_environment", "exposed_file", "secret_in_command_line", "human_use", "overprivileged",
	"state machine", "write"}

// report prints the Markdown section for BENCHMARKS.md.
func report(w io.Writer, refs []reference, runs []*analysisRun) {
	ref := map[string]reference{}
	for _, r := range refs {
		ref[r.Rule] = r
	}
	fmt.Fprintf(w, "| step | %s | plain SQL over raw events (rows) | ratio (slowest run) | target |\n|---|", strings.Join(labels(runs), " | "))
	for range runs {
		fmt.Fprint(w, "---|")
	}
	fmt.Fprintln(w, "---|---|---|")
	for _, s := range stepOrder {
		fmt.Fprintf(w, "| %s |", s)
		for _, r := range runs {
			fmt.Fprintf(w, " %.3f s |", r.Steps[s])
		}
		rr, ok := ref[referenceOf[s]]
		if !ok {
			fmt.Fprintln(w, " | | |")
			continue
		}
		slowest := 0.0
		for _, r := range runs {
			slowest = max(slowest, r.Steps[s])
		}
		ratio := slowest / rr.Seconds
		target := "≤ 0.20"
		if s == "inventory" {
			target = "–"
		}
		fmt.Fprintf(w, " %.3f s (`%s`, %d) | %.2f | %s %s |\n", rr.Seconds, rr.Rule, rr.Rows, ratio, target, mark(s == "inventory" || ratio <= 0.2))
	}
	fmt.Fprint(w, "| **whole analysis, wall** |")
	for _, r := range runs {
		fmt.Fprintf(w, " **%.2f s** |", r.Wall.Seconds())
	}
	fmt.Fprintln(w, " | | < 10 s |")
	fmt.Fprint(w, "| **peak RSS of `nhictl analyze`** |")
	for _, r := range runs {
		fmt.Fprintf(w, " **%.0f MB** |", float64(r.MaxRSS)/1e6)
	}
	fmt.Fprintln(w, " | | < 300 MB |")
	fmt.Fprintln(w)
	for _, r := range runs {
		fmt.Fprintf(w, "- %s: `%s`\n", r.Label, r.Summary)
	}
}

func labels(runs []*analysisRun) []string {
	var out []string
	for _, r := range runs {
		out = append(out, r.Label)
	}
	return out
}

func mark(ok bool) string {
	if ok {
		return "✓"
	}
	return "✗"
}

// measureAll: the references, then the first analysis of the loaded
// history (every finding new), one 15 minutes later (nothing changed) and
// one a day later (every finding's last_detected refreshed).
func measureAll(ctx context.Context, st *store.Store, nhictl, addr, policyFile string, now time.Time, repeat int) error {
	for _, t := range []string{"findings", "finding_events"} {
		if err := st.Conn().Exec(ctx, "TRUNCATE TABLE "+st.Table(t)); err != nil {
			return fmt.Errorf("empty %s: %w", t, err)
		}
	}
	refs, err := references(ctx, st, now, repeat)
	if err != nil {
		return err
	}
	var runs []*analysisRun
	for _, a := range []struct {
		label string
		at    time.Time
	}{{"first analysis", now}, {"15 min later", now.Add(15 * time.Minute)}, {"a day later", now.Add(24 * time.Hour)}} {
		r, err := analyse(ctx, nhictl, addr, st.Database(), policyFile, a.at, a.label)
		if err != nil {
			return err
		}
		runs = append(runs, r)
	}
	report(os.Stdout, refs, runs)
	return nil
}

// peakHeap keeps the heap profile taken when the most was in use, in
// /tmp/analyticsbench.peak.
func peakHeap(done chan struct{}) {
	var best uint64
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}} // as the last GC marked it: what the process holds, not its garbage
	for {
		select {
		case <-done:
			return
		case <-time.After(100 * time.Millisecond):
		}
		metrics.Read(live)
		if v := live[0].Value.Uint64(); v > best {
			best = v
			if f, err := os.Create("/tmp/analyticsbench.peak"); err == nil {
				_ = pprof.Lookup("heap").WriteTo(f, 0)
				f.Close()
			}
		}
	}
}
