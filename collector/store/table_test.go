package store

import (
	"context"
	"testing"
)

func TestTableNames(t *testing.T) {
	st := &Store{cfg: Config{Database: "nhi", Cluster: "c1"}}
	if got := st.Table("findings"); got != "findings_all" {
		t.Fatalf("Table(findings) on a cluster = %q", got)
	}
	if got := st.Table("nhi_inventory"); got != "nhi_inventory" {
		t.Fatalf("Table(nhi_inventory) on a cluster = %q", got)
	}
	if got := (&Store{cfg: Config{Database: "x"}}).Table("file_state"); got != "file_state" {
		t.Fatalf("Table(file_state) = %q", got)
	}
}

// TestDatabaseOnTheConnection: a store opened before its database exists
// is bound to it once Migrate created it, and one opened on an existing
// database is bound from the start; bare table names resolve there and
// nowhere else.
func TestDatabaseOnTheConnection(t *testing.T) {
	st := openTest(t)
	ctx := context.Background()
	if st.bound {
		t.Fatal("a store on a database that does not exist yet says it is bound to it")
	}
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if !st.bound {
		t.Fatal("Migrate created the database but left the connection unbound")
	}
	var current string
	if err := st.Conn().QueryRow(ctx, "SELECT currentDatabase()").Scan(&current); err != nil || current != st.Database() {
		t.Fatalf("currentDatabase() = %q (%v), want %q", current, err, st.Database())
	}
	again, err := Open(ctx, st.cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	var n uint64
	if !again.bound {
		t.Fatal("a store on an existing database is not bound to it")
	}
	if err := again.Conn().QueryRow(ctx, "SELECT count() FROM schema_migrations").Scan(&n); err != nil || n == 0 {
		t.Fatalf("schema_migrations through the bare name: %d rows, %v", n, err)
	}
}
