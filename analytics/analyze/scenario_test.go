package analyze

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/nhiradar/nhiradar/analytics/analyze/analyzetest"
	"github.com/nhiradar/nhiradar/analytics/findings"
	"github.com/nhiradar/nhiradar/analytics/policy"
	"github.com/nhiradar/nhiradar/collector/store"
	"github.com/nhiradar/nhiradar/collector/store/eventdb"
	"github.com/nhiradar/nhiradar/collector/store/findingdb"
	"github.com/nhiradar/nhiradar/internal/devservices"
)

func openTest(t *testing.T) *store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{Addr: []string{devservices.ClickHouseAddr(t)}, Database: devservices.UniqueName("nhi_analyze")})
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

var names = map[string]string{
	analyzetest.KeyReused: "reused-key", analyzetest.KeyDeploy: "deploy-key", analyzetest.KeyJenkins: "jenkins",
	analyzetest.KeyWorker: "worker-key", analyzetest.KeyToken: "token", analyzetest.KeyHealthy: "healthy-key",
}

// label names a finding "rule identity[@host] state".
func label(f findings.Finding) string {
	s := f.Rule + " " + names[f.NHIID]
	if findings.PerHost(f.Rule) {
		s += "@" + f.Hosts[0]
	}
	return s + " " + f.State
}

func labels(fs []findings.Finding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = label(f)
	}
	sort.Strings(out)
	return out
}

func transitions(all []findings.Finding, ts []findings.Transition) []string {
	byID := map[string]findings.Finding{}
	for _, f := range all {
		byID[f.FindingID] = f
	}
	out := make([]string, len(ts))
	for i, t := range ts {
		f := byID[t.FindingID]
		f.State = t.From + "->" + t.To
		out[i] = label(f)
	}
	sort.Strings(out)
	return out
}

func TestScenario(t *testing.T) {
	var logs bytes.Buffer
	prevLog := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	t.Cleanup(func() { slog.SetDefault(prevLog) })
	st := openTest(t)
	ctx := context.Background()
	p := analyzetest.Policy(t)
	phases := analyzetest.Phases()
	want := []struct {
		findings, transitions []string
	}{
		{ // T0: every planted problem once, nothing on the healthy key.
			findings: []string{
				"cross_environment reused-key open", "dormant deploy-key open", "expiring token open",
				"exposed_file reused-key@prod-web-1 open", "human_use jenkins@build-1 open", "long_lived reused-key open",
				"overprivileged jenkins@build-1 open", "owner_departed deploy-key open", "ownerless reused-key open",
				"reused reused-key open", "secret_in_command_line worker-key@build-1 open",
			},
			transitions: []string{
				"cross_environment reused-key ->open", "dormant deploy-key ->open", "expiring token ->open",
				"exposed_file reused-key@prod-web-1 ->open", "human_use jenkins@build-1 ->open", "long_lived reused-key ->open",
				"overprivileged jenkins@build-1 ->open", "owner_departed deploy-key ->open", "ownerless reused-key ->open",
				"reused reused-key ->open", "secret_in_command_line worker-key@build-1 ->open",
			},
		},
		{ // T0+2d: the full scans of both hosts no longer list the reused key.
			findings: []string{
				"cross_environment reused-key resolved", "dormant deploy-key open", "expiring token open",
				"exposed_file reused-key@prod-web-1 resolved", "human_use jenkins@build-1 open", "long_lived reused-key resolved",
				"overprivileged jenkins@build-1 open", "owner_departed deploy-key open", "ownerless reused-key resolved",
				"reused reused-key resolved", "secret_in_command_line worker-key@build-1 open",
			},
			transitions: []string{
				"cross_environment reused-key open->resolved", "exposed_file reused-key@prod-web-1 open->resolved",
				"long_lived reused-key open->resolved", "ownerless reused-key open->resolved", "reused reused-key open->resolved",
			},
		},
		{ // T0+4d: back on prod-web-1 only: reopened, not duplicated; no longer reused.
			findings: []string{
				"cross_environment reused-key resolved", "dormant deploy-key open", "expiring token open",
				"exposed_file reused-key@prod-web-1 reopened", "human_use jenkins@build-1 open", "long_lived reused-key reopened",
				"overprivileged jenkins@build-1 open", "owner_departed deploy-key open", "ownerless reused-key reopened",
				"reused reused-key resolved", "secret_in_command_line worker-key@build-1 open",
			},
			transitions: []string{
				"exposed_file reused-key@prod-web-1 resolved->reopened", "long_lived reused-key resolved->reopened",
				"ownerless reused-key resolved->reopened",
			},
		},
		{ // T0+10d: the token expired.
			findings: []string{
				"cross_environment reused-key resolved", "dormant deploy-key open", "expired token open", "expiring token resolved",
				"exposed_file reused-key@prod-web-1 reopened", "human_use jenkins@build-1 open", "long_lived reused-key reopened",
				"overprivileged jenkins@build-1 open", "owner_departed deploy-key open", "ownerless reused-key reopened",
				"reused reused-key resolved", "secret_in_command_line worker-key@build-1 open",
			},
			transitions: []string{"expired token ->open", "expiring token open->resolved"},
		},
	}
	for i, ph := range phases {
		if len(ph.Events) > 0 {
			if err := eventdb.New(st).InsertEvents(ctx, ph.Events); err != nil {
				t.Fatal(err)
			}
		}
		sum, err := Run(ctx, st, Options{Policy: p, Now: ph.Now})
		if err != nil {
			t.Fatalf("phase %d: %v", i+1, err)
		}
		all, err := findingdb.New(st).Findings(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got := labels(all); !slices.Equal(got, want[i].findings) {
			t.Fatalf("phase %d findings:\n got %q\nwant %q", i+1, got, want[i].findings)
		}
		if got := transitions(all, sum.Transitions); !slices.Equal(got, want[i].transitions) {
			t.Fatalf("phase %d transitions:\n got %q\nwant %q", i+1, got, want[i].transitions)
		}
		noSecrets(t, fmt.Sprintf("phase %d", i+1), all, sum)
	}
	checkDetails(t, st)
	if !strings.Contains(logs.String(), "analysis done") {
		t.Fatalf("no analysis logged:\n%s", logs.String())
	}
	noSecrets(t, "log", logs.String())
}

// checkDetails looks into the evidence, owners and history at the end.
func checkDetails(t *testing.T, st *store.Store) {
	ctx := context.Background()
	all, err := findingdb.New(st).Findings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	get := func(rule, nhiID string) findings.Finding {
		for _, f := range all {
			if f.Rule == rule && f.NHIID == nhiID {
				return f
			}
		}
		t.Fatalf("no %s finding on %s", rule, names[nhiID])
		return findings.Finding{}
	}
	dep := get(findings.OwnerDeparted, analyzetest.KeyDeploy)
	if dep.Owner != "bob" || dep.OwnerStatus != "departed" || !strings.Contains(strings.Join(dep.Evidence, " "), "manager carol") {
		t.Fatalf("owner_departed: %+v", dep)
	}
	dorm := get(findings.Dormant, analyzetest.KeyDeploy)
	if !strings.Contains(strings.Join(dorm.Evidence, " "), "/var/log/auth.log on prod-web-2") {
		t.Fatalf("dormant evidence names no source: %q", dorm.Evidence)
	}
	ce := get(findings.CrossEnvironment, analyzetest.KeyReused)
	if ce.Severity != "critical" || !strings.HasSuffix(ce.Policy, ".yaml:19") || !slices.Contains(ce.Controls, "OWASP-NHI:NHI8") {
		t.Fatalf("cross_environment severity/policy/controls: %s %s %v", ce.Severity, ce.Policy, ce.Controls)
	}
	if !strings.Contains(strings.Join(ce.Evidence, " "), "resolved: the latest complete full scans of prod-web-1, stg-app-1 no longer list it") {
		t.Fatalf("resolution evidence: %q", ce.Evidence)
	}
	ll := get(findings.LongLived, analyzetest.KeyReused)
	hist, err := findingdb.New(st).FindingEvents(ctx, ll.FindingID)
	if err != nil {
		t.Fatal(err)
	}
	var states []string
	for _, h := range hist {
		states = append(states, h.From+"->"+h.To)
	}
	if strings.Join(states, " ") != "->open open->resolved resolved->reopened" {
		t.Fatalf("long_lived history %v", states)
	}
	// The worker key's use no source can see: it is not dormant, and says so.
	wk := get(findings.SecretInCmdline, analyzetest.KeyWorker)
	if !strings.Contains(strings.Join(wk.Evidence, " "), "usage: unobservable") {
		t.Fatalf("worker evidence: %q", wk.Evidence)
	}
}

func noSecrets(t *testing.T, what string, v ...any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range analyzetest.Secrets {
		if strings.Contains(string(b), s) || strings.Contains(string(b), analyzetest.Fingerprint(s)) {
			t.Fatalf("%s: output holds a secret or its fingerprint", what)
		}
	}
}

// TestRerunIsIdempotent: the same analysis twice records nothing new and
// rewrites no finding; a day later the unchanged findings are written
// again (last_detected moves on) with no transition.
func TestRerunIsIdempotent(t *testing.T) {
	st := openTest(t)
	ctx := context.Background()
	p := analyzetest.Policy(t)
	ph := analyzetest.Phases()[0]
	if err := eventdb.New(st).InsertEvents(ctx, ph.Events); err != nil {
		t.Fatal(err)
	}
	first, err := Run(ctx, st, Options{Policy: p, Now: ph.Now})
	if err != nil || len(first.Transitions) != 11 {
		t.Fatalf("first run: %v transitions, err %v", len(first.Transitions), err)
	}
	second, err := Run(ctx, st, Options{Policy: p, Now: ph.Now})
	if err != nil || second.TransitionCount != 0 || second.Written != 0 {
		t.Fatalf("second run: %d transitions, %d written, err %v", second.TransitionCount, second.Written, err)
	}
	if !slices.Equal(first.Counts, second.Counts) {
		t.Fatalf("counts differ: %v vs %v", first.Counts, second.Counts)
	}
	before, err := findingdb.New(st).Findings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	third, err := Run(ctx, st, Options{Policy: p, Now: ph.Now.Add(refresh)})
	if err != nil || third.Written < len(before) {
		t.Fatalf("a day later: %d of %d findings written, err %v", third.Written, len(before), err)
	}
	after, err := findingdb.New(st).Findings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range after {
		if f.FindingID == before[i].FindingID && f.State == before[i].State && !f.LastDetected.After(before[i].LastDetected) {
			t.Errorf("%s %s: last_detected %s did not move on", f.FindingID, f.Rule, f.LastDetected)
		}
	}
}

// TestExceptionAndDeparture: an exception accepts a finding until it
// expires, then the finding is open again; an owner who departs between
// analyses raises owner_departed.
func TestExceptionAndDeparture(t *testing.T) {
	st := openTest(t)
	ctx := context.Background()
	ph := analyzetest.Phases()
	if err := eventdb.New(st).InsertEvents(ctx, ph[0].Events); err != nil {
		t.Fatal(err)
	}
	load := func(departed bool) *policy.Policy {
		p, err := policy.Load(analyzetest.PolicyVariant(t, departed, true))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	state := func(rule, nhiID string) string {
		all, err := findingdb.New(st).Findings(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range all {
			if f.Rule == rule && f.NHIID == nhiID {
				return f.State
			}
		}
		return "none"
	}
	if _, err := Run(ctx, st, Options{Policy: load(false), Now: ph[0].Now}); err != nil {
		t.Fatal(err)
	}
	if s := state(findings.HumanUse, analyzetest.KeyJenkins); s != findings.Accepted {
		t.Fatalf("human_use under a valid exception: %s", s)
	}
	if s := state(findings.OwnerDeparted, analyzetest.KeyDeploy); s != "none" {
		t.Fatalf("owner_departed while bob is active: %s", s)
	}
	sum, err := Run(ctx, st, Options{Policy: load(true), Now: ph[3].Now})
	if err != nil {
		t.Fatal(err)
	}
	if s := state(findings.HumanUse, analyzetest.KeyJenkins); s != findings.Reopened {
		t.Fatalf("human_use after the exception expired: %s", s)
	}
	if s := state(findings.OwnerDeparted, analyzetest.KeyDeploy); s != findings.Open {
		t.Fatalf("owner_departed after bob left: %s", s)
	}
	var why string
	for _, tr := range sum.Transitions {
		if tr.To == findings.Reopened {
			why = tr.Why
		}
	}
	if !strings.Contains(why, "exception no longer applies") || !strings.Contains(why, "expired on 2026-03-06") {
		t.Fatalf("reopen reason %q", why)
	}
}

// A write the store refuses ends the analysis with the store's error,
// whether it fails on the last rows or mid-analysis while the rules go
// on: the background writer neither swallows it nor leaves Run waiting.
func TestWriteFailureEndsTheAnalysis(t *testing.T) {
	for _, chunk := range []int{flushAt, 2} {
		t.Run(fmt.Sprintf("chunks of %d", chunk), func(t *testing.T) {
			old := flushAt
			flushAt = chunk
			t.Cleanup(func() { flushAt = old })
			st := openTest(t)
			ctx := context.Background()
			ph := analyzetest.Phases()[0]
			if err := eventdb.New(st).InsertEvents(ctx, ph.Events); err != nil {
				t.Fatal(err)
			}
			if err := st.Conn().Exec(ctx, "DROP TABLE "+st.Table("finding_events")); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() {
				_, err := Run(ctx, st, Options{Policy: analyzetest.Policy(t), Now: ph.Now})
				done <- err
			}()
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), "finding_events") {
					t.Fatalf("analysis with finding_events gone: err %v, want the store's refusal naming it", err)
				}
			case <-time.After(2 * time.Minute):
				t.Fatal("the analysis did not return after its write failed")
			}
		})
	}
}
