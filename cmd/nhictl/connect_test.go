package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/nhiradar/nhiradar/analytics/analyze/analyzetest"
	"github.com/nhiradar/nhiradar/internal/devservices"
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
	if err := st.InsertEvents(ctx, ph.Events); err != nil {
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
