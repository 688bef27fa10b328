package ticketsync

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nhiradar/nhiradar/analytics/tickets"
	"github.com/nhiradar/nhiradar/collector/store"
	"github.com/nhiradar/nhiradar/collector/store/ticketdb"
	"github.com/nhiradar/nhiradar/collector/ticket"
	"github.com/nhiradar/nhiradar/collector/ticket/servicenow"
	"github.com/nhiradar/nhiradar/collector/ticket/servicenow/sntest"
	"github.com/nhiradar/nhiradar/internal/devservices"
	"github.com/nhiradar/nhiradar/internal/spool"
)

// The child collector's settings, passed by the parent in its environment.
const (
	envChild     = "NHI_TICKETSYNC_KILL_CHILD" // set: this process is the child
	envCH        = "NHI_TICKETSYNC_KILL_CLICKHOUSE"
	envDB        = "NHI_TICKETSYNC_KILL_DATABASE"
	envOutbox    = "NHI_TICKETSYNC_KILL_OUTBOX"
	envURL       = "NHI_TICKETSYNC_KILL_URL"
	envBlockAt   = "NHI_TICKETSYNC_KILL_AT"
	envToken     = "NHI_TICKETSYNC_KILL_TOKEN" // the connector reads its token from here
	killToken    = "kill-test-token"
	createdLine  = "created"
	childTimeout = time.Minute
)

// TestMain runs the child collector when the parent test re-executes this
// binary as one, and the tests otherwise.
func TestMain(m *testing.M) {
	if os.Getenv(envChild) != "" {
		if err := killChild(context.Background()); err != nil {
			fmt.Fprintln(os.Stderr, "child collector:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// killPlan is the same plan in parent and child.
func killPlan() []tickets.Request {
	var out []tickets.Request
	for _, k := range []string{"kill-1", "kill-2", "kill-3"} {
		out = append(out, tickets.Request{Key: k, Type: "remediation", Title: "Rotate the key of " + k, Body: "rotate it",
			Priority: "high", Severity: "high", Queue: "platform", FindingIDs: []string{k}})
	}
	return out
}

// killChild is a collector run: one sync of killPlan against the store,
// the outbox and the ServiceNow server the parent named.
func killChild(ctx context.Context) error {
	st, err := store.Open(ctx, store.Config{Addr: []string{os.Getenv(envCH)}, Database: os.Getenv(envDB)})
	if err != nil {
		return err
	}
	defer st.Close()
	ob, err := spool.OpenStrict(os.Getenv(envOutbox), 64<<20, nil)
	if err != nil {
		return err
	}
	defer ob.Close()
	conn, err := servicenow.New(servicenow.Config{URL: os.Getenv(envURL), TokenEnv: envToken}, nil)
	if err != nil {
		return err
	}
	blocking := &blockAfterCreate{Connector: conn, key: os.Getenv(envBlockAt), signal: os.Stdout}
	s := &Syncer{Store: st, Conn: blocking, Outbox: ob}
	rep, err := s.Sync(ctx, killPlan())
	if err != nil {
		return err
	}
	return fmt.Errorf("the sync returned (%+v): it should have been killed after creating %s", rep, blocking.key)
}

// blockAfterCreate tells the parent when the system has made the ticket
// for key, and then never answers: the sync is between the remote create
// and its record when the parent kills the process.
type blockAfterCreate struct {
	ticket.Connector
	key    string
	signal io.Writer
}

func (b *blockAfterCreate) Create(ctx context.Context, r ticket.Request) (ticket.Ticket, error) {
	t, err := b.Connector.Create(ctx, r)
	if err != nil || r.Key != b.key {
		return t, err
	}
	fmt.Fprintln(b.signal, createdLine, r.Key, t.ExternalID)
	select {
	case <-ctx.Done():
		return t, ctx.Err()
	case <-time.After(childTimeout):
		return t, errors.New("not killed in time")
	}
}

// TestKilledBetweenCreateAndRecord runs the collector as a child process,
// kills it (SIGKILL) right after the system created a ticket and before
// the sync recorded it, and restarts on the same outbox and database: each
// finding ends with exactly one ticket on the system, recorded once.
func TestKilledBetweenCreateAndRecord(t *testing.T) {
	ctx := context.Background()
	st := killStore(t)
	sn := sntest.New(sntest.Options{Token: killToken})
	srv := httptest.NewServer(sn) // a real TCP port: the child reaches it too
	t.Cleanup(srv.Close)
	outbox := filepath.Join(t.TempDir(), "outbox.db")
	t.Setenv(envToken, killToken)

	createdID := runAndKill(t, st, outbox, srv.URL, "kill-2")
	// Killed in the middle of the first batch: two tickets made, none
	// recorded, every entry still in the outbox.
	if got := incidents(t, sn); len(got["kill-1"]) != 1 || len(got["kill-2"]) != 1 || len(got["kill-3"]) != 0 {
		t.Fatalf("on the system at the kill: %v; want kill-1 and kill-2 once each", got)
	}
	if recs, err := ticketdb.New(st).Tickets(ctx); err != nil || len(recs) != 0 {
		t.Fatalf("recorded at the kill: %d (%v); want none", len(recs), err)
	}

	rep := restart(t, st, outbox, srv.URL)
	if rep.Opened != 3 || rep.Pending != 0 || rep.Delayed != "" {
		t.Fatalf("after the restart: %+v; want the three tickets recorded, nothing pending", rep)
	}
	got := incidents(t, sn)
	for _, r := range killPlan() {
		if len(got[r.Key]) != 1 {
			t.Errorf("%s has %d incidents on the system, want exactly one", r.Key, len(got[r.Key]))
		}
	}
	if len(got["kill-2"]) == 1 && got["kill-2"][0] != createdID {
		t.Errorf("kill-2 is %s on the system, the child created %s", got["kill-2"][0], createdID)
	}
	recordedOnce(t, st, got)
	if again := restart(t, st, outbox, srv.URL); again.Opened != 0 || sn.Len() != 3 {
		t.Errorf("another round: %+v, %d incidents; want nothing more", again, sn.Len())
	}
}

func killStore(t *testing.T) *store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{Addr: []string{devservices.ClickHouseAddr(t)}, Database: devservices.UniqueName("nhi_tkill")})
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

// runAndKill starts the child, waits for its word that the system created
// blockAt's ticket, SIGKILLs it and returns the ticket's id.
func runAndKill(t *testing.T, st *store.Store, outbox, url, blockAt string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envChild+"=1", envCH+"="+devservices.ClickHouseAddr(t), envDB+"="+st.Database(),
		envOutbox+"="+outbox, envURL+"="+url, envBlockAt+"="+blockAt)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), createdLine+" "+blockAt+" ") {
				lines <- sc.Text()
				return
			}
		}
	}()
	var line string
	select {
	case line = <-lines:
	case <-time.After(childTimeout):
	}
	_ = cmd.Process.Kill() // SIGKILL: no deferred function, no flush
	err = cmd.Wait()
	if line == "" {
		t.Fatalf("the child never created %s: %v\n%s", blockAt, err, stderr.String())
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("the child ended with %v, want killed by SIGKILL\n%s", err, stderr.String())
	}
	return strings.Fields(line)[2]
}

// restart is the next collector process: a fresh syncer on the outbox
// file and the database the killed one left.
func restart(t *testing.T, st *store.Store, outbox, url string) Report {
	t.Helper()
	ob, err := spool.OpenStrict(outbox, 64<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ob.Close()
	conn, err := servicenow.New(servicenow.Config{URL: url, TokenEnv: envToken}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := &Syncer{Store: st, Conn: conn, Outbox: ob}
	rep, err := s.Sync(context.Background(), killPlan())
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// incidents lists the system's incidents by correlation_id, read from the
// server itself.
func incidents(t *testing.T, sn *sntest.Server) map[string][]string {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, "/api/now/table/incident?sysparm_fields=sys_id,correlation_id", nil)
	r.Header.Set("Authorization", "Bearer "+killToken)
	w := httptest.NewRecorder()
	sn.ServeHTTP(w, r)
	var out struct {
		Result []struct {
			ID  string `json:"sys_id"`
			Key string `json:"correlation_id"`
		} `json:"result"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil || w.Code != http.StatusOK {
		t.Fatalf("list incidents: %d %v", w.Code, err)
	}
	got := map[string][]string{}
	for _, i := range out.Result {
		got[i.Key] = append(got[i.Key], i.ID)
	}
	return got
}

// recordedOnce checks each finding's record: the system's one incident,
// opened once in the history; kill-1 and kill-2 found, not made again.
func recordedOnce(t *testing.T, st *store.Store, remote map[string][]string) {
	t.Helper()
	recs, err := ticketdb.New(st).Tickets(context.Background())
	if err != nil || len(recs) != 3 {
		t.Fatalf("records: %d (%v), want 3", len(recs), err)
	}
	for _, rec := range recs {
		if ids := remote[rec.TicketID]; len(ids) != 1 || rec.ExternalID != ids[0] {
			t.Errorf("%s recorded as %s, the system has %v", rec.TicketID, rec.ExternalID, ids)
		}
		h, err := ticketdb.New(st).TicketHistory(context.Background(), rec.TicketID)
		if err != nil || len(h) != 1 || h[0].To != ticketdb.TicketOpen {
			t.Errorf("%s history %+v (%v), want one open", rec.TicketID, h, err)
			continue
		}
		found := strings.Contains(h[0].Why, "found already opened")
		if found != (rec.TicketID != "kill-3") {
			t.Errorf("%s opened as %q", rec.TicketID, h[0].Why)
		}
	}
}
