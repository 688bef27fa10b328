package store

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nhiradar/nhiradar/internal/devservices"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

func openTest(t *testing.T) *Store {
	t.Helper()
	ctx := context.Background()
	st, err := Open(ctx, Config{Addr: []string{devservices.ClickHouseAddr(t)}, Database: devservices.UniqueName("nhi_store")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = st.Conn().Exec(ctx, "DROP DATABASE IF EXISTS "+st.Database())
		st.Close()
	})
	return st
}

func TestMigrateIsIdempotent(t *testing.T) {
	st := openTest(t)
	ctx := context.Background()
	first, err := st.Migrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) == 0 {
		t.Fatal("first migration applied nothing")
	}
	second, err := st.Migrate(ctx)
	if err != nil || len(second) != 0 {
		t.Fatalf("second Migrate applied %v, err %v; want nothing", second, err)
	}
}

func sampleEvent(principal string) *event.Event {
	exp := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	e := &event.Event{Type: event.TypeNHIObserved, Plugin: "credfiles", ScanID: event.NewID(),
		Kind: event.KindAWSAccessKey, Principal: principal, Fingerprint: strings.Repeat("a1", 32),
		Location: "/root/.aws/credentials", Key: "aws_secret_access_key", ExpiresAt: &exp,
		Attrs: map[string]string{"region": "eu-west-1", "profile": "default"}}
	e.Complete("agent-1", "web-01", time.Now())
	return e
}

func TestInsertAndDeduplicate(t *testing.T) {
	st := openTest(t)
	ctx := context.Background()
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	a, b := sampleEvent("AKIA2E4A7F3B244CQWXY"), sampleEvent("AKIA2E4A7F3B244CQWXY")
	b.Location = "/home/alice/.aws/credentials"
	// The same batch delivered twice, as after a crash before the commit.
	for i := 0; i < 2; i++ {
		if err := st.InsertEvents(ctx, []*event.Event{a, b}); err != nil {
			t.Fatal(err)
		}
	}
	var final uint64
	if err := st.Conn().QueryRow(ctx, "SELECT count() FROM events FINAL").Scan(&final); err != nil {
		t.Fatal(err)
	}
	if final != 2 {
		t.Fatalf("events FINAL = %d, want 2", final)
	}
	var keys, values []string
	var exp time.Time
	if err := st.Conn().QueryRow(ctx, "SELECT attr_keys, attr_values, expires_at FROM events WHERE event_id = ? LIMIT 1", a.EventID).Scan(&keys, &values, &exp); err != nil {
		t.Fatal(err)
	}
	if strings.Join(keys, ",") != "profile,region" || strings.Join(values, ",") != "default,eu-west-1" || !exp.Equal(*a.ExpiresAt) {
		t.Fatalf("stored attrs %v=%v expires %v", keys, values, exp)
	}
	inv, err := st.Inventory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(inv) != 1 || len(inv[0].Locations) != 2 || inv[0].Hosts[0] != "web-01" {
		t.Fatalf("inventory = %+v, want one identity in two locations", inv)
	}
}

func TestOpenUnreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := Open(ctx, Config{Addr: []string{"127.0.0.1:1"}, DialTimeout: time.Second})
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Fatalf("Open on a closed port = %v, want an error naming the address", err)
	}
}

func TestOpenRejectsBadNames(t *testing.T) {
	if _, err := Open(context.Background(), Config{Addr: []string{"127.0.0.1:1"}, Database: "nhi; DROP TABLE x"}); err == nil {
		t.Fatal("a database name with SQL in it was accepted")
	}
}
