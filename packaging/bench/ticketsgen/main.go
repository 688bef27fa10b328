// Command ticketsgen is the ticketing benchmark (packaging/bench/tickets.sh):
// N ticket requests executed by ticketsync through its durable outbox into
// the ServiceNow contract server behind a rate limit (100 requests per
// second, 429 with Retry-After beyond), with the store on ClickHouse. It
// times how long until every request has its ticket on the server and its
// record in the store, against the lower bound the rate sets for the
// requests a ticket needs, counts duplicates, and prints a Markdown
// section for BENCHMARKS.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"

	"github.com/nhiradar/nhiradar/analytics/tickets"
	"github.com/nhiradar/nhiradar/collector/store"
	"github.com/nhiradar/nhiradar/collector/store/ticketdb"
	"github.com/nhiradar/nhiradar/collector/ticket"
	"github.com/nhiradar/nhiradar/collector/ticket/servicenow"
	"github.com/nhiradar/nhiradar/collector/ticket/servicenow/sntest"
	"github.com/nhiradar/nhiradar/collector/ticketsync"
	"github.com/nhiradar/nhiradar/internal/spool"
)

type config struct {
	n        int
	rate     int
	addr     string
	database string
	dir      string
	profile  string
}

func main() {
	var c config
	flag.IntVar(&c.n, "n", 10000, "ticket requests (findings) to execute")
	flag.IntVar(&c.rate, "rate", 100, "requests per second the contract server allows")
	flag.StringVar(&c.addr, "clickhouse", "127.0.0.1:19000", "ClickHouse native address")
	flag.StringVar(&c.database, "database", "", "fresh database for the store (created)")
	flag.StringVar(&c.dir, "dir", "", "directory for the outbox file")
	flag.StringVar(&c.profile, "cpuprofile", "", "write a CPU profile of the run to this file")
	flag.Parse()
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if c.database == "" || c.dir == "" {
		slog.Error("ticketsgen: -database and -dir are required")
		os.Exit(2)
	}
	stop, err := startProfile(c.profile)
	if err != nil {
		slog.Error("ticketsgen: cpu profile", "err", err)
		os.Exit(1)
	}
	res, err := run(context.Background(), c)
	stop()
	if err != nil {
		slog.Error("ticketsgen failed", "err", err)
		os.Exit(1)
	}
	res.markdown(os.Stdout, c)
	if res.duplicates() != 0 || res.missing() != 0 {
		os.Exit(1)
	}
}

// startProfile starts a CPU profile into path ("": none) and returns
// what stops it.
func startProfile(path string) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// bench is one run's world: the limited contract server, the store and
// the syncer.
type bench struct {
	sn    *sntest.Server
	lim   *sntest.Limiter
	st    *store.Store
	sync  *ticketsync.Syncer
	plan  []tickets.Request
	start time.Time
}

func run(ctx context.Context, c config) (*result, error) {
	b, cleanup, err := setup(ctx, c)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	res := &result{n: c.n, rate: c.rate, burst: b.lim.Burst()}
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	b.start = time.Now()
	w := b.watch(wctx, c.n, res)
	if err := b.syncUntilDrained(ctx, res); err != nil {
		return nil, err
	}
	res.round = time.Since(b.start)
	select { // all is recorded now: the watcher sees it on its next look
	case <-w:
	case <-time.After(10 * time.Second):
		stop()
		<-w
	}
	res.allowed, res.rejected = b.lim.Counts()
	if err := b.count(ctx, res); err != nil {
		return nil, err
	}
	res.readMemory(b.sync.Outbox)
	return res, nil
}

func setup(ctx context.Context, c config) (*bench, func(), error) {
	st, err := store.Open(ctx, store.Config{Addr: []string{c.addr}, Database: c.database})
	if err != nil {
		return nil, nil, fmt.Errorf("store: %w", err)
	}
	if _, err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, nil, fmt.Errorf("migrate: %w", err)
	}
	sn := sntest.New(sntest.Options{Token: "bench-token"})
	lim := sntest.NewLimiter(sn, c.rate)
	srv := httptest.NewServer(lim)
	os.Setenv("TICKETSGEN_SN_TOKEN", "bench-token")
	conn, err := servicenow.New(servicenow.Config{URL: srv.URL, TokenEnv: "TICKETSGEN_SN_TOKEN"}, nil)
	if err != nil {
		srv.Close()
		st.Close()
		return nil, nil, err
	}
	ob, err := spool.OpenStrict(filepath.Join(c.dir, "outbox.db"), 256<<20, nil)
	if err != nil {
		srv.Close()
		st.Close()
		return nil, nil, err
	}
	// The retrier's zero value: the defaults nhictl runs with.
	sy := &ticketsync.Syncer{Store: st, Conn: conn, Outbox: ob, Retry: ticket.Retrier{}, Log: slog.Default()}
	cleanup := func() { ob.Close(); srv.Close(); st.Close() }
	return &bench{sn: sn, lim: lim, st: st, sync: sy, plan: plan(c.n)}, cleanup, nil
}

// plan is n remediation requests as analytics/tickets renders them, one
// finding each.
func plan(n int) []tickets.Request {
	due := time.Date(2026, 12, 9, 0, 0, 0, 0, time.UTC)
	out := make([]tickets.Request, n)
	for i := range out {
		id := fmt.Sprintf("f-%08d", i)
		out[i] = tickets.Request{Key: id, Type: "remediation", Severity: "high", Priority: "high", Due: due,
			Title: fmt.Sprintf("Rotate the deploy key of svc-%d on prod-web-%d", i, i%50),
			Body: fmt.Sprintf("What: rotate the SSH key, then remove the old one from ~svc-%d/.ssh/authorized_keys.\n"+
				"Where: prod-web-%d:/home/svc-%d/.ssh/authorized_keys\nWhy: the key is reused on 3 hosts (evidence: fingerprint SHA256:bench%08d).\n", i, i%50, i, i),
			Queue: "platform-team", Owner: "platform-team", Labels: []string{"nhi-radar", "reused-key"}, FindingIDs: []string{id}}
	}
	return out
}

// syncUntilDrained runs rounds until the outbox is empty: a round stops
// draining when the system stays unreachable past the retries, and the
// next round carries on with what is left.
func (b *bench) syncUntilDrained(ctx context.Context, res *result) error {
	for {
		rep, err := b.sync.Sync(ctx, b.plan)
		if err != nil {
			return fmt.Errorf("sync round %d: %w", res.rounds+1, err)
		}
		res.rounds++
		res.opened += rep.Opened
		if rep.Delayed != "" {
			res.delays = append(res.delays, rep.Delayed)
		}
		if rep.Pending == 0 {
			return nil
		}
		if res.rounds > 1000 {
			return fmt.Errorf("still %d pending after %d rounds: %s", rep.Pending, res.rounds, rep.Delayed)
		}
	}
}

// watch notes when the server holds n tickets and when the store has
// recorded n, and the outbox's and the heap's peaks, while the rounds
// run; the channel closes once all n are recorded.
func (b *bench) watch(ctx context.Context, n int, res *result) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for i := 0; res.created == 0 || res.recorded == 0; i++ {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			res.sample(b.sync.Outbox.Stats(), i%25 == 0)
			if res.created == 0 && b.sn.Len() >= n {
				res.created = time.Since(b.start)
			}
			if res.recorded == 0 && i%5 == 0 && b.recordedCount(ctx) >= n {
				res.recorded = time.Since(b.start)
			}
		}
	}()
	return done
}

func (b *bench) recordedCount(ctx context.Context) int {
	var n uint64
	err := b.st.Conn().QueryRow(ctx, "SELECT uniqExact(ticket_id) FROM "+b.st.Table("tickets")).Scan(&n)
	if err != nil {
		slog.Warn("ticketsgen: count the recorded tickets", "err", err)
	}
	return int(n)
}

// count reads every incident from the server itself (not through the
// limit) and every record from the store.
func (b *bench) count(ctx context.Context, res *result) error {
	w := httptest.NewRecorder()
	b.sn.ServeHTTP(w, authorized(httptest.NewRequest(http.MethodGet,
		"/api/now/table/incident?sysparm_fields=correlation_id&sysparm_limit=100000000", nil)))
	keys, err := correlationIDs(w)
	if err != nil {
		return err
	}
	res.remote = keys
	recs, err := ticketdb.New(b.st).Tickets(ctx)
	if err != nil {
		return err
	}
	res.records = len(recs)
	return b.st.Conn().QueryRow(ctx, "SELECT count() FROM "+b.st.Table("ticket_events")+" WHERE to_state = 'open'").Scan(&res.openEvents)
}

func authorized(r *http.Request) *http.Request {
	r.Header.Set("Authorization", "Bearer bench-token")
	return r
}
