package governance

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/nhiradar/nhiradar/analytics/analyze/analyzetest"
	"github.com/nhiradar/nhiradar/collector/store"
	"github.com/nhiradar/nhiradar/collector/store/eventdb"
	"github.com/nhiradar/nhiradar/collector/store/findingdb"
	"github.com/nhiradar/nhiradar/collector/store/ticketdb"
	"github.com/nhiradar/nhiradar/collector/ticket/systems"
	"github.com/nhiradar/nhiradar/collector/ticket/webhook"
	"github.com/nhiradar/nhiradar/internal/devservices"
	"github.com/nhiradar/nhiradar/internal/testlog"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

func openStore(t *testing.T) *store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{Addr: []string{devservices.ClickHouseAddr(t)}, Database: devservices.UniqueName("nhi_gov")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = st.Conn().Exec(ctx, "DROP DATABASE IF EXISTS "+st.Database())
		st.Close()
	})
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := eventdb.New(st).InsertEvents(ctx, analyzetest.Phases()[0].Events); err != nil {
		t.Fatal(err)
	}
	return st
}

func fullScan(host string, at time.Time, seen ...string) *event.Event {
	e := &event.Event{Type: event.TypeScanCompleted, Plugin: "credfiles", ScanID: event.NewID(),
		Scan: &event.Scan{Full: true, StartedAt: at, FinishedAt: at.Add(time.Minute), Seen: seen, Part: 1, Parts: 1}}
	e.Complete("agent-"+host, host, at.Add(time.Minute))
	return e
}

// leadService runs svc.Lead until the test ends.
func leadService(t *testing.T, svc *Service) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); svc.Lead(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

func waitMetric(t *testing.T, what string, c prometheus.Collector, want float64, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if value(c) >= want {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s = %v after %s, want at least %v", what, value(c), within, want)
}

// TestRoundsAtOnceAndAfterScans: a new leader runs a round at once (the
// findings and their local tickets appear, the metrics say so) and then
// compacts the maintained tables, and new full scans bring the next round
// long before the interval does (but no second compaction within the
// hour).
func TestRoundsAtOnceAndAfterScans(t *testing.T) {
	st := openStore(t)
	m := NewMetrics(prometheus.NewRegistry())
	logs := &testlog.Buffer{}
	svc := &Service{Store: st, Policy: analyzetest.Policy(t), OutboxPath: filepath.Join(t.TempDir(), "outbox.db"),
		Every: time.Hour, AfterScans: 300 * time.Millisecond, Poll: 100 * time.Millisecond, CompactEvery: time.Hour, Metrics: m,
		Log: bufLog(logs), Now: func() time.Time { return analyzetest.T0 }}
	compactions := func() int { return strings.Count(logs.String(), "maintained tables compacted") }
	t.Cleanup(func() {
		if t.Failed() || testing.Verbose() {
			t.Logf("service log:\n%s", logs)
		}
	})
	leadService(t, svc)
	ok := m.Rounds.WithLabelValues("ok")
	waitMetric(t, "rounds ok", ok, 1, 60*time.Second)
	ctx := context.Background()
	fs, err := findingdb.New(st).Findings(ctx)
	if err != nil || len(fs) == 0 {
		t.Fatalf("after the first round: %d findings (%v), want the fixture's", len(fs), err)
	}
	ts, err := ticketdb.New(st).Tickets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	opened := value(m.Tickets.WithLabelValues("local", "opened"))
	if len(ts) == 0 || opened != float64(len(ts)) {
		t.Fatalf("tickets: %d stored, metric says %v opened; want the same, more than none", len(ts), opened)
	}
	if p := value(m.OutboxPending); p != 0 {
		t.Errorf("outbox pending = %v after a local round, want 0", p)
	}
	if last := value(m.LastRound); last < float64(time.Now().Add(-time.Minute).Unix()) {
		t.Errorf("last round time = %v, want about now", last)
	}
	if err := devservices.WaitFor(ctx, 30*time.Second, func() (bool, error) { return compactions() == 1, nil }); err != nil {
		t.Fatalf("no compaction after the first round")
	}
	if n, last := value(m.Compactions.WithLabelValues("ok")), value(m.LastCompacted); n != 1 || last < float64(time.Now().Add(-time.Minute).Unix()) {
		t.Errorf("compactions metric %v, last at %v; want 1, about now", n, last)
	}
	var parts uint64
	if err := st.Conn().QueryRow(ctx, "SELECT count() FROM system.parts WHERE database = ? AND table = 'findings' AND active",
		st.Database()).Scan(&parts); err != nil || parts != 1 {
		t.Fatalf("findings in %d parts after compacting (%v), want 1", parts, err)
	}
	// A host's full scans arrive: the next round follows within moments,
	// not in an hour.
	if err := eventdb.New(st).InsertEvents(ctx, []*event.Event{fullScan("prod-web-1", analyzetest.T0.Add(-time.Minute), analyzetest.KeyReused)}); err != nil {
		t.Fatal(err)
	}
	waitMetric(t, "rounds ok after new scans", ok, 2, 30*time.Second)
	if e := value(m.Rounds.WithLabelValues("error")); e != 0 {
		t.Errorf("rounds failed: %v", e)
	}
	// Nothing new since: no third round.
	time.Sleep(time.Second)
	if n := value(ok); n != 2 {
		t.Errorf("rounds = %v with no new scans, want 2", n)
	}
	if n := compactions(); n != 1 {
		t.Errorf("%d compactions in two rounds an hour apart at most, want 1", n)
	}
}

// TestDelayedTicketsVisible: a ticket system that answers 503 delays the
// tickets: they wait in the outbox, the gauge names the system, and the
// round logs one line with the system and the reason; the round itself
// is not an error (the findings are written).
func TestDelayedTicketsVisible(t *testing.T) {
	st := openStore(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "maintenance", http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	t.Setenv("NHI_TEST_WEBHOOK_SECRET", "test-secret")
	p := analyzetest.Policy(t)
	p.Ticketing.System = webhook.Name
	var settings = mustSettings(srv.URL)
	m := NewMetrics(prometheus.NewRegistry())
	logs := &testlog.Buffer{}
	svc := &Service{Store: st, Policy: p, Settings: settings, OutboxPath: filepath.Join(t.TempDir(), "outbox.db"),
		Every: time.Hour, Metrics: m, Log: bufLog(logs), Now: func() time.Time { return analyzetest.T0 }}
	leadService(t, svc)
	waitMetric(t, "rounds ok", m.Rounds.WithLabelValues("ok"), 1, 120*time.Second)
	if d := value(m.Delayed.WithLabelValues(webhook.Name)); d != 1 {
		t.Errorf("delayed{system=webhook} = %v, want 1", d)
	}
	if p := value(m.OutboxPending); p == 0 {
		t.Error("outbox pending = 0 while the system is down, want the waiting tickets")
	}
	var lines []string
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "governance round done; tickets delayed") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 1 || !strings.Contains(lines[0], "system=webhook") || !strings.Contains(lines[0], "503") {
		t.Fatalf("delayed round log lines = %q, want one naming system=webhook and the 503", lines)
	}
}

func mustSettings(url string) systems.Settings {
	var s systems.Settings
	s.Ticketing.System = webhook.Name
	s.Ticketing.Webhook = &webhook.Config{URL: url, SecretEnv: "NHI_TEST_WEBHOOK_SECRET", Timeout: 5 * time.Second}
	return s
}

// value reads one gauge or counter through a registry of its own (what
// /metrics would show), so the test needs no Prometheus model types.
func value(c prometheus.Collector) float64 {
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil || len(mfs) != 1 || len(mfs[0].GetMetric()) != 1 {
		panic(fmt.Sprintf("gather: %d families (%v)", len(mfs), err))
	}
	m := mfs[0].GetMetric()[0]
	if m.GetGauge() != nil {
		return m.GetGauge().GetValue()
	}
	return m.GetCounter().GetValue()
}

// TestFailedRoundRetried: a round that cannot run (its outbox cannot be
// created) is logged with the reason and counted, and the next round
// runs once the cause is gone; Lead itself never gives up.
func TestFailedRoundRetried(t *testing.T) {
	st := openStore(t)
	dir := t.TempDir()
	blocker := filepath.Join(dir, "state")
	if err := os.WriteFile(blocker, []byte("not a directory"), 0o600); err != nil {
		t.Fatal(err)
	}
	m := NewMetrics(prometheus.NewRegistry())
	logs := &testlog.Buffer{}
	svc := &Service{Store: st, Policy: analyzetest.Policy(t), OutboxPath: filepath.Join(blocker, "outbox.db"),
		Every: 500 * time.Millisecond, Metrics: m, Log: bufLog(logs), Now: func() time.Time { return analyzetest.T0 }}
	leadService(t, svc)
	waitMetric(t, "rounds failed", m.Rounds.WithLabelValues("error"), 1, 60*time.Second)
	if !strings.Contains(logs.String(), "governance round failed; the next round retries") || !strings.Contains(logs.String(), "outbox") {
		t.Fatalf("no log line naming the failed round and its outbox:\n%s", logs)
	}
	if err := os.Remove(blocker); err != nil {
		t.Fatal(err)
	}
	waitMetric(t, "rounds ok after the cause is gone", m.Rounds.WithLabelValues("ok"), 1, 60*time.Second)
	if ts, err := ticketdb.New(st).Tickets(context.Background()); err != nil || len(ts) == 0 {
		t.Fatalf("tickets after the retried round: %d (%v), want the findings'", len(ts), err)
	}
}

// TestCompactFailureRetries: a compaction the store refuses is logged,
// not counted as done, and tried again after the next round.
func TestCompactFailureRetries(t *testing.T) {
	st := openStore(t)
	logs := &testlog.Buffer{}
	m := NewMetrics(prometheus.NewRegistry())
	tm := &term{s: &Service{Store: st, CompactEvery: time.Hour, Log: bufLog(logs), Metrics: m}}
	st.Close() // every query now fails
	ctx := context.Background()
	tm.compact(ctx)
	if !tm.compacted.IsZero() || !strings.Contains(logs.String(), "compacting the maintained tables failed") {
		t.Fatalf("a refused compaction: compacted at %v, log:\n%s", tm.compacted, logs)
	}
	tm.compact(ctx)
	if n := strings.Count(logs.String(), "compacting the maintained tables failed"); n != 2 {
		t.Fatalf("%d attempts logged after two rounds, want 2:\n%s", n, logs)
	}
	if e, ok := value(m.Compactions.WithLabelValues("error")), value(m.Compactions.WithLabelValues("ok")); e != 2 || ok != 0 || value(m.LastCompacted) != 0 {
		t.Errorf("compactions metric: %v failed, %v ok, last %v; want 2, 0, 0", e, ok, value(m.LastCompacted))
	}
}
