package store

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestDDLGolden pins the DDL generated for ClickHouse 18.16, a current
// single server and a current cluster.
func TestDDLGolden(t *testing.T) {
	cases := map[string]struct {
		cluster string
		f       Features
	}{
		"ddl_18.16.sql":   {"", FeaturesFor(Version{18, 16})},
		"ddl_current.sql": {"", FeaturesFor(Version{24, 8})},
		"ddl_cluster.sql": {"nhi_cluster", FeaturesFor(Version{24, 8})},
	}
	for name, c := range cases {
		ms, err := Migrations("nhi", c.cluster, c.f, 90)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, m := range ms {
			for _, s := range m.SQL {
				b.WriteString("-- " + m.Name + "\n" + s + ";\n\n")
			}
		}
		golden := filepath.Join("testdata", name)
		if *update {
			if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if b.String() != string(want) {
			t.Errorf("%s differs (run go test -update):\n%s", name, b.String())
		}
	}
}

func TestFeatures(t *testing.T) {
	old := FeaturesFor(Version{18, 16})
	if old.TTL || old.LowCardinality {
		t.Fatalf("18.16 has neither TTL nor LowCardinality: %+v", old)
	}
	if f := FeaturesFor(Version{23, 3}); !f.TTL || !f.LowCardinality {
		t.Fatalf("23.3 has both: %+v", f)
	}
}

func TestSplitStatements(t *testing.T) {
	got := splitStatements("-- comment\nCREATE TABLE a (x String);\n\n-- another\nCREATE VIEW b AS SELECT 1\n")
	if len(got) != 2 || got[0] != "CREATE TABLE a (x String)" || got[1] != "CREATE VIEW b AS SELECT 1" {
		t.Fatalf("got %q", got)
	}
}

// TestAddColumnsPartlyThere: an ALTER of several ADD COLUMN clauses whose
// first columns another run already added adds only the missing ones.
func TestAddColumnsPartlyThere(t *testing.T) {
	st := openTest(t)
	ctx := context.Background()
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := st.Conn().Exec(ctx, "CREATE TABLE "+st.Database()+".partly (a UInt8, heartbeat String, x String) ENGINE = MergeTree ORDER BY a"); err != nil {
		t.Fatal(err)
	}
	stmt := "ALTER TABLE " + st.Database() + ".partly\n    ADD COLUMN x String AFTER heartbeat,\n    ADD COLUMN y Int64 DEFAULT toInt64(length(heartbeat)) AFTER x"
	for i := range 2 {
		if err := st.exec(ctx, stmt); err != nil {
			t.Fatalf("run %d: %v", i+1, err)
		}
	}
	for _, c := range []string{"x", "y"} {
		if has, err := st.hasColumn(ctx, st.Database(), "partly", c); err != nil || !has {
			t.Fatalf("column %s: %v %v", c, has, err)
		}
	}
}
