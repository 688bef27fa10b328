package queries

import (
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nhiradar/nhiradar/analytics/analyze"
	"github.com/nhiradar/nhiradar/analytics/policy"
	"github.com/nhiradar/nhiradar/collector/store"
	"github.com/nhiradar/nhiradar/collector/store/eventdb"
	"github.com/nhiradar/nhiradar/internal/devservices"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// TestQueriesIntegration seeds a fleet whose answers are known, runs every
// query with clickhouse-client, as an analyst would, and compares the first
// two columns of each result (the rest holds times relative to now).
func TestQueriesIntegration(t *testing.T) {
	ctx := context.Background()
	addr := devservices.ClickHouseAddr(t)
	st := migrated(t, addr, "nhi_queries")
	seed := fleet(time.Now().UTC().Truncate(time.Second))
	for i := 0; i < 2; i++ { // delivered twice: no answer may change
		if err := eventdb.New(st).InsertEvents(ctx, seed); err != nil {
			t.Fatal(err)
		}
	}
	// The findings queries read what an analysis wrote.
	if _, err := analyze.Run(ctx, st, analyze.Options{Policy: policy.Default()}); err != nil {
		t.Fatal(err)
	}
	host, port, _ := strings.Cut(addr, ":")
	qs := All()
	if len(qs) < 12 {
		t.Fatalf("%d queries, want a dozen", len(qs))
	}
	for _, q := range qs {
		out, err := exec.Command("clickhouse-client", "--host", host, "--port", port, "--database", st.Database(),
			"--format", "TabSeparated", "-q", q.SQL).CombinedOutput()
		if err != nil {
			t.Errorf("%s: %v\n%s", q.Name, err, out)
			continue
		}
		got := firstColumns(string(out), 2)
		golden := filepath.Join("testdata", q.Name+".golden")
		if *update {
			if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, _ := os.ReadFile(golden)
		if got != string(want) || got == "" {
			t.Errorf("%s:\n got %q\nwant %q\nfull output:\n%s", q.Name, got, want, out)
		}
	}
}

// TestAgentsViewReadsTopLevelFields: the agents view reads a heartbeat's
// own fields, not the nested plugin and budget fields of the same names
// (rss_bytes, cpu_percent), which have their own typed columns.
func TestAgentsViewReadsTopLevelFields(t *testing.T) {
	ctx := context.Background()
	st := migrated(t, devservices.ClickHouseAddr(t), "nhi_agents_view")
	if err := eventdb.New(st).InsertEvents(ctx, fleet(time.Now().UTC().Truncate(time.Second))); err != nil {
		t.Fatal(err)
	}
	var cpu float64
	var rss, depth int64
	err := devservices.WaitFor(ctx, 30*time.Second, func() (bool, error) {
		err := st.Conn().QueryRow(ctx, "SELECT cpu_percent, rss_bytes, spool_depth FROM agents WHERE agent_id = 'agent-db-01'").Scan(&cpu, &rss, &depth)
		return err == nil, nil
	})
	if err != nil || cpu != 0.5 || rss != 20<<20 || depth != 5000 {
		t.Fatalf("agents view for agent-db-01: cpu_percent %v, rss_bytes %d, spool_depth %d (%v); want 0.5, %d, 5000", cpu, rss, depth, err, 20<<20)
	}
}

// migrated opens a fresh database on the server at addr with the schema
// migrated; it is dropped when the test ends.
func migrated(t *testing.T, addr, prefix string) *store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{Addr: []string{addr}, Database: devservices.UniqueName(prefix)})
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
	return st
}

func firstColumns(tsv string, n int) string {
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimRight(tsv, "\n"), "\n") {
		f := strings.Split(line, "\t")
		b.WriteString(strings.Join(f[:min(n, len(f))], "\t") + "\n")
	}
	return b.String()
}

// fleet: a deploy key copied to three hosts and used an hour ago; a new,
// ownerless CI token expiring in ten days; an old SSH key a later scan no
// longer found; a dormant service account; a healthy and a silent agent.
func fleet(now time.Time) []*event.Event {
	day := 24 * time.Hour
	fp := func(c string) string { return strings.Repeat(c, 64) }
	exp := now.Add(10 * day)
	obs := func(host string, kind event.Kind, principal, f, loc, account string, at time.Time, hints ...string) *event.Event {
		e := &event.Event{Type: event.TypeNHIObserved, Plugin: "credfiles", Kind: kind, Principal: principal,
			Fingerprint: f, Location: loc, Account: account, FileOwner: account, OwnerHints: hints, Time: at}
		e.Complete("agent-"+host, host, at)
		return e
	}
	var evs []*event.Event
	for i, h := range []string{"web-01", "web-02", "db-01"} {
		loc := "/home/deploy/.aws/credentials"
		if i == 2 {
			loc = "/root/.aws/credentials"
		}
		evs = append(evs, obs(h, event.KindAWSAccessKey, "AKIADEPLOY0000000001", fp("a"), loc, "deploy", now.Add(-10*day), "profile:deploy"),
			obs(h, event.KindAWSAccessKey, "AKIADEPLOY0000000001", fp("a"), loc, "deploy", now.Add(-time.Hour), "profile:deploy"))
	}
	ci := obs("web-01", event.KindGitHubToken, "ci-bot", fp("c"), "/srv/ci/.config/gh/hosts.yml", "", now.Add(-2*time.Hour))
	ci.ExpiresAt = &exp
	old := obs("db-01", event.KindSSHAuthorizedKey, "SHA256:oldkey", "", "/root/.ssh/authorized_keys", "root", now.Add(-100*day))
	svc := obs("db-01", event.KindOSServiceAccount, "backup", "", "/etc/passwd", "backup", now.Add(-200*day))
	evs = append(evs, ci, old, svc)
	scan := &event.Event{Type: event.TypeScanCompleted, Plugin: "credfiles", ScanID: "scan-db-01",
		Scan: &event.Scan{Full: true, StartedAt: now.Add(-2 * day), FinishedAt: now.Add(-2 * day), Part: 1, Parts: 1,
			Seen: []string{evs[5].NHIID, svc.NHIID}}, Time: now.Add(-2 * day)}
	scan.Complete("agent-db-01", "db-01", now)
	used := now.Add(-time.Hour)
	use := &event.Event{Type: event.TypeUsageEvidence, Plugin: "authlog", Principal: "AKIADEPLOY0000000001",
		Evidence: event.EvidenceProcess, Source: "/proc/4242/environ", Actor: "terraform", UsedAt: &used, Time: used}
	use.Complete("agent-web-01", "web-01", used)
	// Heartbeats carry plugin states and the budget status as real ones do:
	// their nested fields must not shadow the top-level ones the views read.
	hb := func(agent string, at time.Time, depth, dropped int64, pauses int) *event.Event {
		e := &event.Event{Type: event.TypeAgentHeartbeat, Time: at,
			Heartbeat: &event.Heartbeat{Version: "0.9.0", SpoolDepth: depth, Dropped: dropped, CPUPercent: 0.5, RSSBytes: 20 << 20,
				Plugins: []event.PluginStatus{{Name: "credfiles", State: "idle", RSSBytes: 30 << 20}},
				Budget:  &event.Budget{CPUPercent: 4.9, Throttled: pauses > 0, Pauses: pauses, Reason: map[bool]string{true: "cpu"}[pauses > 0]}}}
		e.Complete(agent, strings.TrimPrefix(agent, "agent-"), at)
		return e
	}
	return append(evs, scan, use, hb("agent-web-01", now.Add(-time.Minute), 0, 0, 0),
		hb("agent-db-01", now.Add(-3*time.Hour), 5000, 12, 7), hb("agent-db-01", now.Add(-4*time.Hour), 10, 0, 0))
}
