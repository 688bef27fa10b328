package ticketsync

import (
	"context"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nhiradar/nhiradar/analytics/analyze"
	"github.com/nhiradar/nhiradar/analytics/analyze/analyzetest"
	"github.com/nhiradar/nhiradar/analytics/findings"
	"github.com/nhiradar/nhiradar/analytics/policy"
	"github.com/nhiradar/nhiradar/analytics/tickets"
	"github.com/nhiradar/nhiradar/collector/store"
	"github.com/nhiradar/nhiradar/collector/store/eventdb"
	"github.com/nhiradar/nhiradar/collector/store/findingdb"
	"github.com/nhiradar/nhiradar/collector/store/ticketdb"
	"github.com/nhiradar/nhiradar/collector/ticket"
	"github.com/nhiradar/nhiradar/collector/ticket/local"
	rtconn "github.com/nhiradar/nhiradar/collector/ticket/rt"
	"github.com/nhiradar/nhiradar/collector/ticket/servicenow"
	"github.com/nhiradar/nhiradar/collector/ticket/servicenow/sntest"
	"github.com/nhiradar/nhiradar/internal/devservices"
	"github.com/nhiradar/nhiradar/internal/spool"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

type world struct {
	t     *testing.T
	st    *store.Store
	pol   *policy.Policy
	conn  *local.Connector
	sync  *Syncer
	clock time.Time
}

func newWorld(t *testing.T, conn func(*local.Connector) ticket.Connector) *world {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{Addr: []string{devservices.ClickHouseAddr(t)}, Database: devservices.UniqueName("nhi_tsync")})
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
	w := &world{t: t, st: st, pol: analyzetest.Policy(t)}
	w.conn = &local.Connector{Tickets: ticketdb.New(st), Now: func() time.Time { return w.clock }}
	outbox, err := spool.OpenStrict(filepath.Join(t.TempDir(), "outbox.db"), 64<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { outbox.Close() })
	var c ticket.Connector = w.conn
	if conn != nil {
		c = conn(w.conn)
	}
	w.sync = &Syncer{Store: st, Conn: c, Outbox: outbox, Now: func() time.Time { return w.clock },
		Retry: ticket.Retrier{Attempts: 2, Sleep: func(context.Context, time.Duration) error { return nil }}}
	return w
}

// round is what the collector does on its schedule: analyse, plan, sync.
func (w *world) round(at time.Time, evs ...*event.Event) Report {
	w.t.Helper()
	ctx := context.Background()
	w.clock = at
	if err := eventdb.New(w.st).InsertEvents(ctx, evs); err != nil {
		w.t.Fatal(err)
	}
	if _, err := analyze.Run(ctx, w.st, analyze.Options{Policy: w.pol, Now: at}); err != nil {
		w.t.Fatal(err)
	}
	return w.syncOnly(at)
}

func (w *world) syncOnly(at time.Time) Report {
	w.t.Helper()
	w.clock = at
	fs, err := findingdb.New(w.st).Findings(context.Background())
	if err != nil {
		w.t.Fatal(err)
	}
	rep, err := w.sync.Sync(context.Background(), tickets.Plan(fs, w.pol, at))
	if err != nil {
		w.t.Fatal(err)
	}
	return rep
}

func (w *world) finding(rule, nhiID string) findings.Finding {
	w.t.Helper()
	fs, err := findingdb.New(w.st).Findings(context.Background())
	if err != nil {
		w.t.Fatal(err)
	}
	for _, f := range fs {
		if f.Rule == rule && f.NHIID == nhiID {
			return f
		}
	}
	w.t.Fatalf("no %s finding on %s", rule, nhiID)
	return findings.Finding{}
}

func (w *world) ticket(findingID string) ticketdb.TicketRow {
	w.t.Helper()
	list, err := ticketdb.New(w.st).Tickets(context.Background())
	if err != nil {
		w.t.Fatal(err)
	}
	for _, t := range list {
		if t.TicketID == findingID {
			return t
		}
	}
	w.t.Fatalf("no ticket for %s", findingID)
	return ticketdb.TicketRow{}
}

// exactlyOne checks the invariant every test keeps: one ticket record and
// one local ticket per finding that has one.
func (w *world) exactlyOne() {
	w.t.Helper()
	ctx := context.Background()
	list, err := ticketdb.New(w.st).Tickets(ctx)
	if err != nil {
		w.t.Fatal(err)
	}
	for _, t := range list {
		lt, err := ticketdb.New(w.st).LocalTicketsByKey(ctx, t.TicketID)
		if err != nil || len(lt) != 1 {
			w.t.Errorf("finding %s has %d local tickets (%v), want exactly one", t.TicketID, len(lt), err)
		}
	}
}

func fullScan(host, plugin string, started time.Time, seen ...string) *event.Event {
	e := &event.Event{Type: event.TypeScanCompleted, Plugin: plugin, ScanID: event.NewID(),
		Scan: &event.Scan{Full: true, StartedAt: started, FinishedAt: started.Add(time.Minute), Seen: seen, Part: 1, Parts: 1}}
	e.Complete("agent-"+host, host, started.Add(time.Minute))
	return e
}

// TestVerificationLoop: tickets open once per finding; a ticket closed
// after the fix is verified by the next full scans; one closed without the
// fix is reopened by them, saying why.
func TestVerificationLoop(t *testing.T) {
	w := newWorld(t, nil)
	ph := analyzetest.Phases()
	rep := w.round(ph[0].Now, ph[0].Events...)
	fs, _ := findingdb.New(w.st).Findings(context.Background())
	ticketed := 0
	for _, f := range fs {
		if tickets.Wanted(f.State) {
			t.Errorf("finding %s %s still %s after the sync", f.FindingID, f.Rule, f.State)
		}
		if f.State == findings.Ticketed {
			ticketed++
		}
	}
	if rep.Opened == 0 || rep.Opened != ticketed || rep.Pending != 0 {
		t.Fatalf("first round: %+v; want one ticket for each of the %d findings now ticketed", rep, ticketed)
	}
	if again := w.syncOnly(ph[0].Now.Add(time.Minute)); again.Opened != 0 {
		t.Fatalf("second sync opened %d more tickets", again.Opened)
	}
	reused, dormant := w.finding(findings.Reused, analyzetest.KeyReused), w.finding(findings.Dormant, analyzetest.KeyDeploy)
	if reused.State != findings.Ticketed || dormant.State != findings.Ticketed {
		t.Fatalf("states after ticketing: reused %s, dormant %s", reused.State, dormant.State)
	}

	// The service desk closes both: the reused key is really removed
	// (phase 2's scans), the dormant deploy key is not.
	closeAt := ph[0].Now.Add(time.Hour)
	for _, id := range []string{reused.FindingID, dormant.FindingID} {
		if _, err := w.conn.Transition(context.Background(), w.ticket(id).ExternalID, local.StateResolved, "fixed", "done", "servicedesk"); err != nil {
			t.Fatal(err)
		}
	}
	if rep := w.syncOnly(closeAt); rep.Closed != 2 {
		t.Fatalf("closing round: %+v; want 2 closed", rep)
	}
	if got := w.finding(findings.Dormant, analyzetest.KeyDeploy).State; got != findings.Verifying {
		t.Fatalf("dormant after its ticket closed: %s, want verifying", got)
	}

	// Before fresh scans of prod-web-2, the deploy ticket waits.
	if rep := w.round(closeAt.Add(time.Minute)); rep.Reopened != 0 || w.ticket(dormant.FindingID).State != ticketdb.TicketVerifying {
		t.Fatalf("no fresh scans yet: %+v, ticket %s; want it still verifying", rep, w.ticket(dormant.FindingID).State)
	}

	scansAfter := ph[1].Now.Add(-24 * time.Hour).Add(2 * time.Hour)
	evs := append(ph[1].Events,
		fullScan("prod-web-2", "sshkeys", scansAfter, analyzetest.KeyDeploy),
		fullScan("prod-web-2", "credfiles", scansAfter, analyzetest.KeyHealthy))
	rep = w.round(ph[1].Now, evs...)
	if rep.Verified < 1 || rep.Reopened != 1 {
		t.Fatalf("after the fresh scans: %+v; want the reused ticket verified and the dormant one reopened", rep)
	}
	if tk := w.ticket(reused.FindingID); tk.State != ticketdb.TicketVerified {
		t.Errorf("reused ticket: %s, want verified", tk.State)
	}
	dt := w.ticket(dormant.FindingID)
	if dt.State != ticketdb.TicketReopened || w.finding(findings.Dormant, analyzetest.KeyDeploy).State != findings.Reopened {
		t.Fatalf("dormant ticket %s, finding %s; want both reopened", dt.State, w.finding(findings.Dormant, analyzetest.KeyDeploy).State)
	}
	lt, _, _ := ticketdb.New(w.st).LocalTicket(context.Background(), dt.ExternalID)
	notes, _ := ticketdb.New(w.st).LocalNotes(context.Background(), dt.ExternalID)
	if lt.State != local.StateOpen || !strings.Contains(notes[len(notes)-1].Text, "not backed by the data") {
		t.Errorf("local ticket after reopening: %s, last note %q", lt.State, notes[len(notes)-1].Text)
	}
	history, _ := ticketdb.New(w.st).TicketHistory(context.Background(), dt.TicketID)
	var path []string
	for _, h := range history {
		path = append(path, h.To)
	}
	if strings.Join(path, ">") != "open>verifying>reopened" {
		t.Errorf("ticket history %v", path)
	}
	for _, s := range analyzetest.Secrets {
		if strings.Contains(lt.Body+notes[len(notes)-1].Text, s) {
			t.Error("a raw secret reached a ticket")
		}
	}
	w.exactlyOne()
}

// flaky loses the answer to its first create (the remote has the ticket,
// the caller does not know) and is down from then on, refusing
// everything, as a system that goes away right after a create.
type flaky struct {
	ticket.Connector
	lost bool
	down bool
}

var errReset = &ticket.Error{System: "local", Op: "create", Retryable: true, Msg: "connection reset", Err: errors.New("EOF")}

func (f *flaky) Find(ctx context.Context, key string) (*ticket.Ticket, error) {
	if f.down {
		return nil, errReset
	}
	return f.Connector.Find(ctx, key)
}

func (f *flaky) Create(ctx context.Context, r ticket.Request) (ticket.Ticket, error) {
	t, err := f.Connector.Create(ctx, r)
	if err == nil && !f.lost {
		f.lost, f.down = true, true
		return ticket.Ticket{}, errReset
	}
	return t, err
}

// TestCreateWithoutRecordMakesNoSecondTicket: the system creates a
// ticket and goes away before answering (the collector cannot record it),
// and the collector restarts: the outbox still holds the entry, and the
// next round finds the ticket by its key instead of making a second one.
func TestCreateWithoutRecordMakesNoSecondTicket(t *testing.T) {
	f := &flaky{}
	w := newWorld(t, func(c *local.Connector) ticket.Connector { f.Connector = c; return f })
	ph := analyzetest.Phases()
	rep := w.round(ph[0].Now, ph[0].Events...)
	if rep.Opened != 0 || rep.Pending == 0 || !strings.Contains(rep.Delayed, "connection reset") {
		t.Fatalf("system gone after a create: %+v; want nothing recorded, entries pending, the delay named", rep)
	}
	// A new collector process: the same outbox file, a fresh syncer.
	path := w.sync.Outbox.Path()
	w.sync.Outbox.Close()
	ob, err := spool.OpenStrict(path, 64<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ob.Close() })
	f.down = false
	w.sync = &Syncer{Store: w.st, Conn: f, Outbox: ob, Now: w.sync.Now, Retry: w.sync.Retry}
	rep = w.syncOnly(ph[0].Now.Add(time.Minute))
	if rep.Opened == 0 || rep.Pending != 0 || rep.Delayed != "" {
		t.Fatalf("after the restart: %+v; want every ticket recorded", rep)
	}
	w.exactlyOne()
}

// TestRequestTracker runs the loop against the real Request Tracker:
// one ticket per finding, a closure in RT without the fix reopened by the
// next scans, nothing duplicated on a second round.
func TestRequestTracker(t *testing.T) {
	r := devservices.RequestTracker(t)
	w := newWorld(t, func(*local.Connector) ticket.Connector {
		c, err := rtconn.New(rtconn.Config{URL: r.URL, TokenFile: r.TokenFile}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return c
	})
	w.sync.Namespace = w.st.Database()
	ph := analyzetest.Phases()
	rep := w.round(ph[0].Now, ph[0].Events...)
	if rep.Opened == 0 || rep.Pending != 0 {
		t.Fatalf("first round in RT: %+v", rep)
	}
	if again := w.syncOnly(ph[0].Now.Add(time.Minute)); again.Opened != 0 {
		t.Fatalf("second round opened %d more RT tickets", again.Opened)
	}
	dormant := w.finding(findings.Dormant, analyzetest.KeyDeploy)
	tk := w.ticket(dormant.FindingID)
	if err := w.sync.Conn.Close(context.Background(), tk.ExternalID, "fixed", "closed by the service desk"); err != nil {
		t.Fatal(err)
	}
	// RT stamps the closure with its own (later) clock: the sync takes the
	// closure at its own time then, and the scans after it judge it.
	closed := ph[0].Now.Add(time.Hour)
	if rep := w.syncOnly(closed); rep.Closed != 1 {
		t.Fatalf("poll after the RT closure: %+v", rep)
	}
	evs := []*event.Event{fullScan("prod-web-2", "sshkeys", closed.Add(time.Minute), analyzetest.KeyDeploy),
		fullScan("prod-web-2", "credfiles", closed.Add(time.Minute), analyzetest.KeyHealthy)}
	if rep := w.round(closed.Add(time.Hour), evs...); rep.Reopened != 1 {
		t.Fatalf("after fresh scans: %+v; want the RT ticket reopened", rep)
	}
	got, err := w.sync.Conn.Get(context.Background(), tk.ExternalID)
	if err != nil || got.State.Done() {
		t.Fatalf("RT ticket %s after the reopening: %+v, %v", tk.ExternalID, got, err)
	}
	found, err := w.sync.Conn.Find(context.Background(), w.st.Database()+":"+dormant.FindingID)
	if err != nil || found == nil || found.ExternalID != tk.ExternalID {
		t.Fatalf("the key finds %+v (%v), want the one ticket %s", found, err, tk.ExternalID)
	}
}

// refusing refuses to create the ticket for one key, as a system whose
// validation rejects a request.
type refusing struct {
	ticket.Connector
	key string
}

func (r *refusing) Create(ctx context.Context, req ticket.Request) (ticket.Ticket, error) {
	if req.Key == r.key {
		return ticket.Ticket{}, &ticket.Error{System: "local", Op: "create", Status: 400, Msg: "request rejected"}
	}
	return r.Connector.Create(ctx, req)
}

// TestRefusedEntryStaysInTheOutbox: an entry the system refuses stays in
// the outbox while the ones after it are recorded and removed, and the
// next round opens it once the system takes it.
func TestRefusedEntryStaysInTheOutbox(t *testing.T) {
	r := &refusing{key: "kill-1"}
	w := newWorld(t, func(c *local.Connector) ticket.Connector { r.Connector = c; return r })
	rep, err := w.sync.Sync(context.Background(), killPlan())
	if err != nil || rep.Opened != 2 || rep.Pending != 1 {
		t.Fatalf("with kill-1 refused: %+v, %v; want two opened and kill-1 pending", rep, err)
	}
	r.key = ""
	rep, err = w.sync.Sync(context.Background(), killPlan())
	if err != nil || rep.Opened != 1 || rep.Pending != 0 {
		t.Fatalf("once the system takes it: %+v, %v; want kill-1 opened, nothing pending", rep, err)
	}
	w.exactlyOne()
}

// TestLongThrottleWaitsInTheOutbox: a run of 429s longer than the
// retrier's attempts stops the drain, names the delay and keeps every
// entry; the next round, once the system takes requests again, opens
// each ticket once.
func TestLongThrottleWaitsInTheOutbox(t *testing.T) {
	st := killStore(t)
	sn := sntest.New(sntest.Options{Token: killToken})
	srv := httptest.NewServer(sn)
	t.Cleanup(srv.Close)
	t.Setenv(envToken, killToken)
	conn, err := servicenow.New(servicenow.Config{URL: srv.URL, TokenEnv: envToken}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ob, err := spool.OpenStrict(filepath.Join(t.TempDir(), "outbox.db"), 64<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ob.Close() })
	waited := 0
	s := &Syncer{Store: st, Conn: conn, Outbox: ob, Retry: ticket.Retrier{
		Sleep: func(context.Context, time.Duration) error { waited++; return nil }}}
	// A round drains twice (before and after the polls): as many 429s in
	// a row as the default attempts, for each.
	sn.Throttle(10)
	rep, err := s.Sync(context.Background(), killPlan())
	if err != nil || rep.Opened != 0 || rep.Pending != 3 || !strings.Contains(rep.Delayed, "rate limited") || waited != 8 {
		t.Fatalf("throttled: %+v, %v, %d waits; want nothing opened, 3 pending, the delay named, 8 waits", rep, err, waited)
	}
	rep, err = s.Sync(context.Background(), killPlan())
	if err != nil || rep.Opened != 3 || rep.Pending != 0 || sn.Len() != 3 {
		t.Fatalf("next round: %+v, %v, %d incidents; want 3 opened once each", rep, err, sn.Len())
	}
}

// TestRecertification: a review answered per identity and closed
// certified records every decision, opens a remediation ticket for the
// revoked identity; a review nobody answers is escalated at its due date
// and counts as no response a week later, never as certified.
func TestRecertification(t *testing.T) {
	w := newWorld(t, nil)
	ctx := context.Background()
	now := analyzetest.Phases()[0].Now
	subject := func(id, owner string) tickets.Subject {
		return tickets.Subject{NHIID: id, Kind: "aws_access_key", Principal: "AKIA" + id, Hosts: []string{"prod-web-1"},
			Owner: owner, OwnerStatus: "active", Manager: "carol", Known: now.Add(-200 * 24 * time.Hour), ReviewEvery: 90 * 24 * time.Hour}
	}
	plan := tickets.Reviews([]tickets.Subject{subject("aaa", "alice"), subject("bbb", "alice"), subject("ccc", "bob")}, nil, now)
	w.clock = now
	if rep, err := w.sync.Sync(ctx, plan); err != nil || rep.Opened != 2 {
		t.Fatalf("reviews opened: %+v, %v; want one per reviewer", rep, err)
	}
	var alice, bob ticketdb.TicketRow
	list, _ := ticketdb.New(w.st).Tickets(ctx)
	for _, tk := range list {
		switch tk.Owner {
		case "alice":
			alice = tk
		case "bob":
			bob = tk
		}
	}
	// alice answers one identity revoke, then closes the review certified.
	if err := ticketdb.New(w.st).RecordDecisions(ctx, []ticketdb.Decision{{NHIID: "bbb", Decision: tickets.Revoke, By: "alice", At: now.Add(time.Hour), TicketID: alice.TicketID}}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.conn.Transition(ctx, alice.ExternalID, local.StateResolved, "certified", "reviewed", "alice"); err != nil {
		t.Fatal(err)
	}
	w.clock = now.Add(2 * time.Hour)
	rep, err := w.sync.Sync(ctx, nil)
	if err != nil || rep.Opened != 1 {
		t.Fatalf("after alice's review: %+v, %v; want the revocation ticket opened", rep, err)
	}
	decided, _ := ticketdb.New(w.st).Decisions(ctx, "")
	got := map[string]string{}
	for _, d := range decided {
		got[d.NHIID] = d.Decision
	}
	if got["aaa"] != tickets.Certify || got["bbb"] != tickets.Revoke || got["ccc"] != "" {
		t.Fatalf("decisions %v; want aaa certified, bbb revoked, ccc undecided", got)
	}
	if rv := w.ticket("rv-bbb"); rv.Type != tickets.Remediation || rv.State != ticketdb.TicketOpen {
		t.Fatalf("revocation ticket: %+v", rv)
	}
	// bob never answers.
	w.clock = bob.Due.Add(time.Hour)
	if _, err := w.sync.Sync(ctx, nil); err != nil || w.ticket(bob.TicketID).State != ticketdb.TicketEscalated {
		t.Fatalf("past the due date: %s, %v; want escalated", w.ticket(bob.TicketID).State, err)
	}
	w.clock = bob.Due.Add(8 * 24 * time.Hour)
	if _, err := w.sync.Sync(ctx, nil); err != nil || w.ticket(bob.TicketID).State != ticketdb.TicketNoResponse {
		t.Fatalf("a week later: %s, %v; want no_response", w.ticket(bob.TicketID).State, err)
	}
	decided, _ = ticketdb.New(w.st).Decisions(ctx, "")
	for _, d := range decided {
		if d.NHIID == "ccc" && d.Decision != tickets.NoResponse {
			t.Errorf("ccc: %s, want no_response", d.Decision)
		}
	}
	// Under a policy that counts no answer as revoke, an unanswered review
	// opens a revocation.
	w.sync.NoResponse = tickets.Revoke
	w.clock = bob.Due.Add(9 * 24 * time.Hour)
	late := tickets.Reviews([]tickets.Subject{subject("ddd", "dave")}, nil, w.clock)
	if _, err := w.sync.Sync(ctx, late); err != nil {
		t.Fatal(err)
	}
	dave := w.ticket(late[0].Key)
	for _, at := range []time.Time{dave.Due.Add(time.Hour), dave.Due.Add(8 * 24 * time.Hour)} {
		w.clock = at
		if _, err := w.sync.Sync(ctx, nil); err != nil {
			t.Fatal(err)
		}
	}
	if rv := w.ticket("rv-ddd"); rv.Type != tickets.Remediation {
		t.Errorf("unanswered under no_response: revoke: %+v; want a revocation ticket", rv)
	}
	// The next campaign sends ccc to bob's manager.
	next := tickets.Reviews([]tickets.Subject{func() tickets.Subject { s := subject("ccc", "bob"); s.Escalated = true; return s }()}, nil, w.clock)
	if len(next) != 1 || next[0].Owner != "carol" {
		t.Errorf("after no response: %+v; want carol to review", next)
	}
}

// TestRevocationVerifiedByTheScans: a revocation ticket is judged by the
// identity itself: still listed by full scans after its closure, the
// ticket reopens; gone from them, it is verified.
func TestRevocationVerifiedByTheScans(t *testing.T) {
	w := newWorld(t, nil)
	ctx := context.Background()
	ph := analyzetest.Phases()
	w.round(ph[0].Now, ph[0].Events...)
	rv := tickets.Request{Key: "rv-" + analyzetest.KeyHealthy, Type: tickets.Remediation, Severity: "high", Priority: "high",
		Title: "revoke the healthy key", Body: "revoke it", Due: ph[0].Now.Add(7 * 24 * time.Hour), NHIIDs: []string{analyzetest.KeyHealthy}}
	w.clock = ph[0].Now.Add(time.Minute)
	if rep, err := w.sync.Sync(ctx, []tickets.Request{rv}); err != nil || rep.Opened != 1 {
		t.Fatalf("revocation ticket: %+v, %v", rep, err)
	}
	closeIt := func(at time.Time) {
		if _, err := w.conn.Transition(ctx, w.ticket(rv.Key).ExternalID, local.StateResolved, "fixed", "revoked", "ops"); err != nil {
			t.Fatal(err)
		}
		w.syncOnly(at)
	}
	// Closed, but prod-web-2's next full scans still list the key.
	closeIt(ph[0].Now.Add(time.Hour))
	still := []*event.Event{fullScan("prod-web-2", "credfiles", ph[0].Now.Add(2*time.Hour), analyzetest.KeyHealthy),
		fullScan("prod-web-2", "sshkeys", ph[0].Now.Add(2*time.Hour), analyzetest.KeyDeploy)}
	if rep := w.round(ph[0].Now.Add(3*time.Hour), still...); rep.Reopened != 1 || w.ticket(rv.Key).State != ticketdb.TicketReopened {
		t.Fatalf("key still on the host: %+v, ticket %s; want reopened", rep, w.ticket(rv.Key).State)
	}
	// Closed again, and now the scans no longer list it.
	closeIt(ph[0].Now.Add(4 * time.Hour))
	gone := []*event.Event{fullScan("prod-web-2", "credfiles", ph[0].Now.Add(5*time.Hour)),
		fullScan("prod-web-2", "sshkeys", ph[0].Now.Add(5*time.Hour), analyzetest.KeyDeploy)}
	w.round(ph[0].Now.Add(6*time.Hour), gone...)
	if got := w.ticket(rv.Key).State; got != ticketdb.TicketVerified {
		t.Fatalf("key gone from the scans: ticket %s, want verified", got)
	}
	w.exactlyOne()
}
