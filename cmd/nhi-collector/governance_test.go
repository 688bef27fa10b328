package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nhiradar/nhiradar/analytics/analyze/analyzetest"
	"github.com/nhiradar/nhiradar/collector/store/eventdb"
	"github.com/nhiradar/nhiradar/collector/store/findingdb"
	"github.com/nhiradar/nhiradar/collector/store/ticketdb"
	"github.com/nhiradar/nhiradar/internal/devservices"
)

// governed is a harness whose database holds the analysis fixture's
// first scans, and the flags of collectors that analyse it with policy
// pol at the fixture's clock.
func governed(t *testing.T, pol string) (*harness, func(name string) []string) {
	t.Helper()
	h := newHarness(t, devservices.KafkaBroker(t), devservices.ClickHouseAddr(t), 1)
	ctx := context.Background()
	if _, err := h.st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := eventdb.New(h.st).InsertEvents(ctx, analyzetest.Phases()[0].Events); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	return h, func(name string) []string {
		return []string{"--analyze-every", "15m", "--analyze-now", analyzetest.T0.Format(time.RFC3339),
			"--policy", pol, "--outbox", filepath.Join(dir, name+".db")}
	}
}

// findingsJSON is the database's findings, as rows to compare.
func (h *harness) findingsJSON(t *testing.T) string {
	t.Helper()
	fs, err := findingdb.New(h.st).Findings(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) == 0 {
		t.Fatal("no findings")
	}
	b, err := json.MarshalIndent(fs, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func (p *proc) leading() bool {
	v, err := p.metric("nhi_governance_leader")
	return err == nil && v == 1
}

func (p *proc) rounds() int { return strings.Count(p.log.String(), `msg="governance round done"`) }

// waitLeader waits until exactly one of ps leads and has finished a
// round, and returns it; no two may lead at once while it waits.
func waitLeader(t *testing.T, ps []*proc, within time.Duration) *proc {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		var leaders []*proc
		for _, p := range ps {
			if p.leading() {
				leaders = append(leaders, p)
			}
		}
		if len(leaders) > 1 {
			t.Fatalf("%d collectors lead at once", len(leaders))
		}
		if len(leaders) == 1 && leaders[0].rounds() > 0 {
			return leaders[0]
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("no single leader with a finished round within %s", within)
	return nil
}

// TestTwoCollectorsOneAnalyser: of two collectors one analyses; SIGKILLed,
// the other takes over within the session timeout, and the findings are
// the ones a single collector writes from the same data at the same clock.
func TestTwoCollectorsOneAnalyser(t *testing.T) {
	t.Parallel()
	// One policy file for both runs: findings cite the policy's file and line.
	pol := analyzetest.PolicyFile(t)
	h, flags := governed(t, pol)
	a := h.start(flags("a")...)
	first := waitLeader(t, []*proc{a}, 2*time.Minute)
	b := h.start(flags("b")...)
	// b's joining rebalances the group: whoever leads after it, one does.
	time.Sleep(10 * time.Second)
	leader := waitLeader(t, []*proc{a, b}, 2*time.Minute)
	other := map[*proc]*proc{a: b, b: a}[leader]
	t.Logf("leader before the kill: %s (first: %s)", leader.listen, first.listen)
	roundsBefore := other.rounds()
	leader.kill()
	killed := time.Now()
	for !other.leading() {
		if time.Since(killed) > 6*time.Second+15*time.Second { // session timeout, then a rebalance
			t.Fatalf("no takeover %s after the leader was killed:\n%s", time.Since(killed), other.log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("takeover %s after SIGKILL", time.Since(killed))
	for other.rounds() == roundsBefore {
		if time.Since(killed) > 2*time.Minute {
			t.Fatal("the new leader ran no round")
		}
		time.Sleep(200 * time.Millisecond)
	}
	// The round is on the new leader's /metrics.
	if v, err := other.metric("nhi_governance_last_round_timestamp_seconds"); err != nil || v < float64(killed.Unix()-1) {
		t.Errorf("last round time on /metrics = %v (%v), want after the takeover at %d", v, err, killed.Unix())
	}
	if v, err := other.metric("nhi_governance_rounds_total"); err != nil || v < 1 {
		t.Errorf("rounds on /metrics = %v (%v), want at least 1", v, err)
	}
	pair := h.findingsJSON(t)
	h.exactlyOneTicket(t)

	single, sflags := governed(t, pol)
	s := single.start(sflags("single")...)
	waitLeader(t, []*proc{s}, 2*time.Minute)
	if got := single.findingsJSON(t); got != pair {
		t.Fatalf("findings of two collectors differ from a single collector's:\n--- pair\n%s\n--- single\n%s", pair, got)
	}
}

// exactlyOneTicket: every finding with a ticket has one local ticket,
// whatever the killed leader left half done.
func (h *harness) exactlyOneTicket(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	ts, err := ticketdb.New(h.st).Tickets(ctx)
	if err != nil || len(ts) == 0 {
		t.Fatalf("tickets: %d (%v), want the findings'", len(ts), err)
	}
	for _, tk := range ts {
		lt, err := ticketdb.New(h.st).LocalTicketsByKey(ctx, tk.TicketID)
		if err != nil || len(lt) != 1 {
			t.Errorf("finding %s has %d local tickets (%v), want exactly one", tk.TicketID, len(lt), err)
		}
	}
}
