package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nhiradar/nhiradar/analytics/analyze/analyzetest"
	"github.com/nhiradar/nhiradar/collector/store/eventdb"
	"github.com/nhiradar/nhiradar/internal/devservices"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// runCaptured runs nhictl in process and returns its exit status and what
// it wrote to stderr.
func runCaptured(t *testing.T, args ...string) (int, string) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old, oldOut := os.Stderr, os.Stdout
	os.Stderr, os.Stdout = w, w
	code := run(args)
	os.Stderr, os.Stdout = old, oldOut
	w.Close()
	var b bytes.Buffer
	_, _ = io.Copy(&b, r)
	return code, b.String()
}

// TestErrorsAPersonCanActOn: the usual mistakes name the fix, and exit
// statuses are the documented ones.
func TestErrorsAPersonCanActOn(t *testing.T) {
	addr := devservices.ClickHouseAddr(t)
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"bogus"}, exitUsage, "unexpected argument bogus"},
		{[]string{"--clickhouse", "127.0.0.1:1", "inventory"}, exitError, "does not answer (connection refused): is it running?"},
		{[]string{"--clickhouse", addr, "--database", "no_such_db_42", "inventory"}, exitError, "database no_such_db_42 does not exist on ClickHouse " + addr},
		{[]string{"--clickhouse", addr, "--user", "no_such_user_42", "inventory"}, exitError, "refused user no_such_user_42: check --user"},
	}
	for _, c := range cases {
		code, out := runCaptured(t, c.args...)
		if code != c.code || !strings.Contains(out, c.want) {
			t.Errorf("nhictl %v: exit %d, output %q; want exit %d saying %q", c.args, code, out, c.code, c.want)
		}
		if strings.Contains(out, "code: ") {
			t.Errorf("nhictl %v shows a driver code: %q", c.args, out)
		}
	}
}

// TestFailOn: --fail-on exits 3 when an active finding is at or above the
// severity, 0 when none is.
func TestFailOn(t *testing.T) {
	ctx := context.Background()
	root := &cli{ClickHouse: []string{devservices.ClickHouseAddr(t)}, Database: devservices.UniqueName("nhi_failon"), User: "default"}
	st, err := root.connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Conn().Exec(ctx, "DROP DATABASE IF EXISTS "+root.Database); st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	ph := analyzetest.Phases()[0]
	if err := eventdb.New(st).InsertEvents(ctx, ph.Events); err != nil {
		t.Fatal(err)
	}
	base := []string{"--clickhouse", root.ClickHouse[0], "--database", root.Database}
	if code, out := runCaptured(t, append(base, "analyze", "--policy", analyzetest.PolicyFile(t), "--now", ph.Now.Format("2006-01-02T15:04:05Z"), "--no-tickets")...); code != exitOK {
		t.Fatalf("analyze: %d %s", code, out)
	}
	if code, _ := runCaptured(t, append(base, "findings", "--fail-on", "high")...); code != exitFindings {
		t.Errorf("findings --fail-on high: exit %d, want %d", code, exitFindings)
	}
	if code, _ := runCaptured(t, append(base, "findings", "--rule", "expiring", "--fail-on", "critical")...); code != exitOK {
		t.Errorf("findings --rule expiring --fail-on critical: exit %d, want 0", code)
	}
}

// TestCutterFitsTheTerminal: a line longer than the terminal is cut with
// "…" at its width, rune-aware, and the next line starts whole.
func TestCutterFitsTheTerminal(t *testing.T) {
	var b bytes.Buffer
	c := &cutter{w: &b, width: 10}
	if _, err := c.Write([]byte("short\néééééééééééééé — long\nnext\n")); err != nil {
		t.Fatal(err)
	}
	if got := b.String(); got != "short\nééééééééé…\nnext\n" { // 9 runes and the ellipsis: 10 columns
		t.Errorf("cut %q", got)
	}
}

// TestSettingsFile: connection settings come from a JSON file too; a flag
// given on the command line wins over it.
func TestSettingsFile(t *testing.T) {
	f := t.TempDir() + "/nhictl.json"
	if err := os.WriteFile(f, []byte(`{"clickhouse": ["127.0.0.1:1"], "database": "from_the_file"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out := runCaptured(t, "--config", f, "inventory"); code != exitError || !strings.Contains(out, "ClickHouse at 127.0.0.1:1 does not answer") {
		t.Errorf("settings file not used: exit %d, %q", code, out)
	}
	addr := devservices.ClickHouseAddr(t)
	if code, out := runCaptured(t, "--config", f, "--clickhouse", addr, "inventory"); code != exitError || !strings.Contains(out, "database from_the_file does not exist") {
		t.Errorf("flag over file: exit %d, %q; want the file's database on the flag's server", code, out)
	}
}

// TestFreeQueryIsReadOnly: an analyst's SQL runs without a database
// prefix, and the server refuses any write.
func TestFreeQueryIsReadOnly(t *testing.T) {
	ctx := context.Background()
	root := &cli{ClickHouse: []string{devservices.ClickHouseAddr(t)}, Database: devservices.UniqueName("nhi_free"), User: "default"}
	st, err := root.connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Conn().Exec(ctx, "DROP DATABASE IF EXISTS "+root.Database); st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	base := []string{"--clickhouse", root.ClickHouse[0], "--database", root.Database, "query", "--sql"}
	if code, out := runCaptured(t, append(base, "SELECT count() AS n FROM nhi_inventory")...); code != exitOK || !strings.Contains(out, "1 rows") {
		t.Errorf("select: exit %d, %q", code, out)
	}
	if code, out := runCaptured(t, append(base, "SELECT 1 AS one, 'x' AS letter", "-o", "jsonl")...); code != exitOK || strings.TrimSpace(out) != `{"letter":"x","one":1}` {
		t.Errorf("jsonl: exit %d, %q", code, out)
	}
	code, out := runCaptured(t, append(base, "DROP TABLE events")...)
	if code != exitError || !strings.Contains(out, "runs read-only") {
		t.Errorf("drop: exit %d, %q; want a refusal", code, out)
	}
	var n uint64
	if err := st.Conn().QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = ? AND name = 'events'", root.Database).Scan(&n); err != nil || n != 1 {
		t.Errorf("events table after the refused drop: %d, %v", n, err)
	}
}

// TestAgentsShowBudget: nhictl agents reports each agent's latest
// heartbeat, its budget pauses and whether its plugins are held.
func TestAgentsShowBudget(t *testing.T) {
	ctx := context.Background()
	root := &cli{ClickHouse: []string{devservices.ClickHouseAddr(t)}, Database: devservices.UniqueName("nhi_agents"), User: "default"}
	st, err := root.connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Conn().Exec(ctx, "DROP DATABASE IF EXISTS "+root.Database); st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	hb := &event.Event{Type: event.TypeAgentHeartbeat, Time: now, Heartbeat: &event.Heartbeat{Version: "1.4.0", SpoolDepth: 12,
		Budget: &event.Budget{Pauses: 3, Throttled: true, Reason: "io"}}}
	hb.Complete("agent-1", "web-1", now)
	if err := eventdb.New(st).InsertEvents(ctx, []*event.Event{hb}); err != nil {
		t.Fatal(err)
	}
	code, out := runCaptured(t, "--clickhouse", root.ClickHouse[0], "--database", root.Database, "agents", "-o", "json")
	var got []agentRow
	if code != exitOK || json.Unmarshal([]byte(out), &got) != nil || len(got) != 1 {
		t.Fatalf("agents: exit %d, %q", code, out)
	}
	if a := got[0]; a.Host != "web-1" || a.SpoolDepth != 12 || a.Pauses != 3 || !a.Throttled || a.Reason != "io" || a.Stale {
		t.Errorf("agent %+v", a)
	}
}
