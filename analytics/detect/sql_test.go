package detect

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nhiradar/nhiradar/analytics/analyze/analyzetest"
	"github.com/nhiradar/nhiradar/collector/store"
	"github.com/nhiradar/nhiradar/collector/store/eventdb"
	"github.com/nhiradar/nhiradar/internal/devservices"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// fixtureSource is a fresh database holding the fixture's first phase.
func fixtureSource(t *testing.T) (Source, *store.Store) {
	t.Helper()
	src, st := emptySource(t)
	ph := analyzetest.Phases()[0]
	// Stored twice, as after a redelivery: the aggregates must not care.
	for i := 0; i < 2; i++ {
		if err := eventdb.New(st).InsertEvents(context.Background(), ph.Events); err != nil {
			t.Fatal(err)
		}
	}
	return src, st
}

// emptySource is a fresh, migrated database of its own.
func emptySource(t *testing.T) (Source, *store.Store) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{Addr: []string{devservices.ClickHouseAddr(t)}, Database: devservices.UniqueName("nhi_detect")})
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
	return Source{Conn: st.Conn(), Table: st.Table}, st
}

// TestQueries runs every detector's SQL against ClickHouse and checks the
// facts it returns for the fixture.
func TestQueries(t *testing.T) {
	src, st := fixtureSource(t)
	ctx := context.Background()
	day := func(n int) time.Time { return analyzetest.T0.Add(time.Duration(n) * 24 * time.Hour) }

	ids, err := LoadIdentities(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]*Identity{}
	for _, id := range ids {
		byID[id.NHIID] = id
	}
	if len(ids) != 6 {
		t.Fatalf("identities: %d, want 6", len(ids))
	}
	r := byID[analyzetest.KeyReused]
	if r == nil || !r.ModifiedAt.Equal(day(-700)) || !slices.Equal(r.PresentHosts, []string{"prod-web-1", "stg-app-1"}) || !r.StillPresent {
		t.Fatalf("reused key: %+v", r)
	}
	if d := byID[analyzetest.KeyDeploy]; d == nil || !d.LastUsed.Equal(day(-120)) || d.LastEvidence != "ssh_login" {
		t.Fatalf("deploy key usage: %+v", d)
	}
	if tok := byID[analyzetest.KeyToken]; tok == nil || !tok.ExpiresAt.Equal(day(7)) {
		t.Fatalf("token expiry: %+v", tok)
	}

	sources, err := queryUsageSources(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	want := []usageSource{
		{Host: "build-1", Evidence: "sudo", Source: "/var/log/auth.log", First: day(-2), Last: day(-2)},
		{Host: "prod-web-2", Evidence: "ssh_login", Source: "/var/log/auth.log", First: day(-400), Last: day(-1)},
	}
	if !slicesEqual(sources, want) {
		t.Fatalf("usage sources %+v\nwant %+v", sources, want)
	}

	if spread := NewEnv(nil, day(0), ids).spreads(); len(spread) != 1 || spread[0].NHIID != analyzetest.KeyReused {
		t.Fatalf("reused and cross_environment facts %+v", spread)
	}

	modes, err := queryFileModes(ctx, src, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(modes, func(m fileMode) bool {
		return m.Host == "prod-web-1" && m.NHIID == analyzetest.KeyReused && m.Mode == "0644" && m.Owner == "root" && m.Account == "root"
	}) || len(modes) != 5 {
		t.Fatalf("file modes %+v", modes)
	}

	cmd, err := queryLocated(ctx, src, "secret_in_command_line.sql")
	if err != nil {
		t.Fatal(err)
	}
	if len(cmd) != 1 || cmd[0].NHIID != analyzetest.KeyWorker || cmd[0].Attrs["pid"] != "4242" {
		t.Fatalf("cmdline facts %+v", cmd)
	}
	acct, err := queryAccounts(ctx, src, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(acct) != 1 || acct[0].NHIID != analyzetest.KeyJenkins || acct[0].Attrs["groups"] != "jenkins,docker" {
		t.Fatalf("account facts %+v", acct)
	}
	// The detectors need each pair's locations adjacent, whatever order
	// the server's GROUP BY leaves them in.
	var more []*event.Event
	for i := 8; i > 0; i-- {
		e := &event.Event{Type: event.TypeNHIObserved, Plugin: "accounts", ScanID: event.NewID(), Kind: event.KindOSServiceAccount,
			Principal: fmt.Sprintf("svc%d", i), Location: "/etc/passwd", Account: fmt.Sprintf("svc%d", i), Time: analyzetest.T0,
			Attrs: map[string]string{"uid": fmt.Sprint(900 + i)}}
		e.Complete(fmt.Sprintf("agent-h%d", i%3), fmt.Sprintf("h%d", i%3), analyzetest.T0)
		more = append(more, e)
	}
	if err := eventdb.New(st).InsertEvents(ctx, more); err != nil {
		t.Fatal(err)
	}
	every, err := queryAccounts(ctx, src, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(every) != 9 || !slices.IsSortedFunc(every, func(a, b located) int {
		return cmp.Or(strings.Compare(a.Host, b.Host), strings.Compare(a.NHIID, b.NHIID), strings.Compare(a.Location, b.Location))
	}) {
		t.Fatalf("every account's facts, not in host, identity, location order: %+v", every)
	}
	uses, err := queryAccountUses(ctx, src, day(-90))
	if err != nil {
		t.Fatal(err)
	}
	if len(uses) != 1 || uses[0] != (accountUse{"build-1", analyzetest.KeyJenkins, "jenkins", "sudo", "alice", day(-2), "/var/log/auth.log"}) {
		t.Fatalf("account uses %+v", uses)
	}
	if aged, err := queryAccountUses(ctx, src, day(-1)); err != nil || len(aged) != 0 {
		t.Fatalf("uses since a day after the last one: %+v, err %v", aged, err)
	}
}

func slicesEqual(a, b []usageSource) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Host != y.Host || x.Evidence != y.Evidence || x.Source != y.Source || !x.First.Equal(y.First) || !x.Last.Equal(y.Last) {
			return false
		}
	}
	return true
}

// TestExposedFileMoved: a secret moved from a readable file to a private
// one counts only at its current location.
func TestExposedFileMoved(t *testing.T) {
	src, st := fixtureSource(t)
	ctx := context.Background()
	at := analyzetest.T0.Add(48 * time.Hour)
	moved := &event.Event{Type: event.TypeNHIObserved, Plugin: "credfiles", ScanID: event.NewID(), Kind: event.KindAWSAccessKey,
		Principal: "AKIAFIXTUREREUSED001", Fingerprint: analyzetest.Fingerprint(analyzetest.SecretReused),
		Location: "/etc/app/credentials", FileMode: "0600", Time: at}
	moved.Complete("agent-prod-web-1", "prod-web-1", at)
	if err := eventdb.New(st).InsertEvents(ctx, []*event.Event{moved}); err != nil {
		t.Fatal(err)
	}
	modes, err := queryFileModes(ctx, src, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	var onProd []fileMode
	for _, m := range modes {
		if m.Host == "prod-web-1" {
			onProd = append(onProd, m)
		}
	}
	if len(onProd) != 1 || onProd[0].Location != "/etc/app/credentials" {
		t.Fatalf("prod-web-1 modes %+v", onProd)
	}
}

// TestExposedFileNarrowed: with the stored findings known, the query
// returns only what may hold (a readable or foreign-owned file) and the
// identities of stored findings, which need their current modes to
// resolve; a private file of an identity without a finding stays out.
func TestExposedFileNarrowed(t *testing.T) {
	src, st := fixtureSource(t)
	ctx := context.Background()
	at := analyzetest.T0.Add(48 * time.Hour)
	private := &event.Event{Type: event.TypeNHIObserved, Plugin: "credfiles", ScanID: event.NewID(), Kind: event.KindAWSAccessKey,
		Principal: "AKIAFIXTUREPRIVATE01", Fingerprint: analyzetest.Fingerprint("a private fixture secret"),
		Location: "/etc/private/credentials", FileMode: "0600", Time: at}
	private.Complete("agent-prod-web-1", "prod-web-1", at)
	if err := eventdb.New(st).InsertEvents(ctx, []*event.Event{private}); err != nil {
		t.Fatal(err)
	}
	find := func(all uint8, stored []string) (id string, exposed int) {
		t.Helper()
		modes, err := queryFileModes(ctx, src, all, stored)
		if err != nil {
			t.Fatal(err)
		}
		// current and evalExposedFile need each pair's files adjacent.
		if !slices.IsSortedFunc(modes, func(a, b fileMode) int {
			return cmp.Or(strings.Compare(a.Host, b.Host), strings.Compare(a.NHIID, b.NHIID), strings.Compare(a.Location, b.Location))
		}) {
			t.Fatalf("modes not in host, identity, location order: %+v", modes)
		}
		for _, m := range modes {
			if m.Location == private.Location {
				id = m.NHIID
			} else if len(exposure(m)) > 0 {
				exposed++
			}
		}
		return id, exposed
	}
	id, exposedAll := find(1, nil)
	if id == "" || exposedAll == 0 {
		t.Fatalf("unnarrowed: private file's identity %q, %d exposed files", id, exposedAll)
	}
	if got, exposed := find(0, nil); got != "" || exposed != exposedAll {
		t.Fatalf("narrowed without stored findings: private file's identity %q returned, %d of %d exposed files", got, exposed, exposedAll)
	}
	if got, _ := find(0, []string{id}); got != id {
		t.Fatalf("narrowed with a stored finding of %s: not returned", id)
	}
}

// TestAttrQueriesNarrowed: the attr detectors merge only the locations
// location_flag_state ever flagged, and decide on their latest attrs: an
// unprivileged service account stays out unless it has a stored finding,
// a scan of a unit as a plain file does not hide the secret on its
// ExecStart= line, and a secret moved from ExecStart= to Environment= in
// the same unit comes back no more.
func TestAttrQueriesNarrowed(t *testing.T) {
	src, st := fixtureSource(t)
	ctx := context.Background()
	at := analyzetest.T0.Add(48 * time.Hour)
	plain := &event.Event{Type: event.TypeNHIObserved, Plugin: "accounts", ScanID: event.NewID(), Kind: event.KindOSServiceAccount,
		Principal: "backup", Location: "/etc/passwd", Account: "backup", Time: at,
		Attrs: map[string]string{"uid": "997", "groups": "backup", "shell": "/bin/sh"}}
	plain.Complete("agent-build-1", "build-1", at)
	unit := func(source string, at time.Time) *event.Event {
		e := &event.Event{Type: event.TypeNHIObserved, Plugin: "credfiles", ScanID: event.NewID(), Kind: event.KindGenericSecret,
			Fingerprint: analyzetest.Fingerprint("a unit file fixture secret"), Location: "/etc/systemd/system/app.service",
			Key: "API_TOKEN", FileMode: "0600", Time: at, Attrs: map[string]string{"source": source, "unit": "app.service"}}
		e.Complete("agent-build-1", "build-1", at)
		return e
	}
	if err := eventdb.New(st).InsertEvents(ctx, []*event.Event{plain, unit("exec_start", at)}); err != nil {
		t.Fatal(err)
	}
	accountIDs := func(all uint8, stored []string) []string {
		t.Helper()
		ls, err := queryAccounts(ctx, src, all, stored)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, l := range ls {
			out = append(out, l.Attrs["uid"])
		}
		return out
	}
	backup := event.IdentityKey(event.KindOSServiceAccount, "backup", "", "build-1")
	if got := accountIDs(0, nil); !slices.Equal(got, []string{"998"}) {
		t.Fatalf("narrowed service accounts: uids %v, want only the privileged 998", got)
	}
	if got := accountIDs(0, []string{backup}); len(got) != 2 {
		t.Fatalf("narrowed with a stored finding of backup: uids %v, want 998 and 997", got)
	}
	if got := accountIDs(1, nil); len(got) != 2 {
		t.Fatalf("unnarrowed: uids %v", got)
	}

	cmdUnits := func() int {
		t.Helper()
		ls, err := queryLocated(ctx, src, "secret_in_command_line.sql")
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, l := range ls {
			if l.Attrs["unit"] == "app.service" {
				n++
			}
		}
		return n
	}
	if n := cmdUnits(); n != 1 {
		t.Fatalf("secret on ExecStart=: %d command-line facts, want 1", n)
	}
	// A scan of the unit as a plain file says nothing of where in it the
	// secret is: the unit scan's word stands.
	asFile := unit("", at.Add(30*time.Minute))
	asFile.Attrs = nil
	if err := eventdb.New(st).InsertEvents(ctx, []*event.Event{asFile}); err != nil {
		t.Fatal(err)
	}
	if n := cmdUnits(); n != 1 {
		t.Fatalf("unit also scanned as a file: %d command-line facts, want 1", n)
	}
	if err := eventdb.New(st).InsertEvents(ctx, []*event.Event{unit("environment", at.Add(time.Hour))}); err != nil {
		t.Fatal(err)
	}
	if n := cmdUnits(); n != 0 {
		t.Fatalf("secret moved to Environment=: %d command-line facts, want 0", n)
	}
}
