package store

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nhiradar/nhiradar/internal/devservices"
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
