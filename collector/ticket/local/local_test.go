package local

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nhiradar/nhiradar/collector/store"
	"github.com/nhiradar/nhiradar/collector/store/ticketdb"
	"github.com/nhiradar/nhiradar/collector/ticket"
	"github.com/nhiradar/nhiradar/collector/ticket/tickettest"
	"github.com/nhiradar/nhiradar/internal/devservices"
)

func openStore(t *testing.T) *store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{Addr: []string{devservices.ClickHouseAddr(t)}, Database: devservices.UniqueName("nhi_local")})
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

// TestLifecycle walks a local ticket through what the ticket sync and the
// service desk do to it, with the same expectations as a remote system.
func TestLifecycle(t *testing.T) {
	ctx := context.Background()
	clock := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	c := &Connector{Tickets: ticketdb.New(openStore(t)), Now: func() time.Time { clock = clock.Add(time.Second); return clock }}
	req := tickettest.Request()
	if got, err := c.Find(ctx, req.Key); err != nil || got != nil {
		t.Fatalf("find before create: %+v, %v; want none", got, err)
	}
	created, err := c.Create(ctx, req)
	if err != nil || !strings.HasPrefix(created.ExternalID, "NHI-") || created.State != ticket.StateOpen {
		t.Fatalf("create: %+v, %v", created, err)
	}
	found, err := c.Find(ctx, req.Key)
	if err != nil || found == nil || found.ExternalID != created.ExternalID {
		t.Fatalf("find after create: %+v, %v; want %s", found, err, created.ExternalID)
	}
	if err := c.Comment(ctx, created.ExternalID, "rotation scheduled"); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(ctx, created.ExternalID, "fixed", "key rotated"); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Get(ctx, created.ExternalID); err != nil || !got.State.Done() || got.Resolution != "fixed" {
		t.Fatalf("after close: %+v, %v", got, err)
	}
	if got, err := c.Reopen(ctx, created.ExternalID, "the next scan still sees the key"); err != nil || got.State.Done() {
		t.Fatalf("reopen: %+v, %v", got, err)
	}
	notes, err := c.Tickets.LocalNotes(ctx, created.ExternalID)
	if err != nil || len(notes) != 3 || notes[1].Text != "resolved (fixed): key rotated" || notes[2].Kind != StateOpen {
		t.Fatalf("notes: %+v, %v", notes, err)
	}
	if _, err := c.Get(ctx, "NHI-00000000"); !ticket.IsNotFound(err) || ticket.IsRetryable(err) {
		t.Errorf("unknown ticket: %v; want a final not-found", err)
	}
}

// TestStoreDownIsRetryable: ClickHouse unreachable delays tickets; the
// ticket sync retries rather than giving the ticket up.
func TestStoreDownIsRetryable(t *testing.T) {
	st := openStore(t)
	c := &Connector{Tickets: ticketdb.New(st)}
	st.Close()
	_, err := c.Create(context.Background(), tickettest.Request())
	if !ticket.IsRetryable(err) || !strings.Contains(err.Error(), "local") {
		t.Fatalf("store down: %v; want a retryable error naming the system", err)
	}
}
