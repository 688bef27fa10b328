package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/nhiradar/nhiradar/analytics/queries"
	"github.com/nhiradar/nhiradar/collector/store/eventdb"
	"github.com/nhiradar/nhiradar/collector/synth"
	"github.com/nhiradar/nhiradar/internal/devservices"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// TestEveryQueryRuns runs every ready-made query through nhictl against a
// database of synthetic events.
func TestEveryQueryRuns(t *testing.T) {
	ctx := context.Background()
	root := &cli{ClickHouse: []string{devservices.ClickHouseAddr(t)}, Database: devservices.UniqueName("nhictl"), User: "default"}
	st, err := root.connect(ctx) // the test creates the database
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	defer st.Conn().Exec(ctx, "DROP DATABASE IF EXISTS "+st.Database()) //nolint:errcheck
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	f := synth.NewFleet(1, 5, 20)
	evs := make([]*event.Event, 500)
	for i := range evs {
		evs[i] = f.Next()
	}
	if err := eventdb.New(st).InsertEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	for _, q := range queries.All() {
		var out bytes.Buffer
		if err := freeQuery(ctx, root, q.SQL, &out); err != nil {
			t.Fatalf("%s: %v", q.Name, err)
		}
		if q.Name == "01_inventory_by_kind" && !strings.Contains(out.String(), "aws_access_key") {
			t.Fatalf("%s printed no identities:\n%s", q.Name, out.String())
		}
	}
	if _, ok := findQuery("7"); !ok {
		t.Fatal("query number 7 not found")
	}
	if q, ok := findQuery("dormant"); !ok || q.Name != "07_dormant" {
		t.Fatalf("findQuery(dormant) = %v %v", q.Name, ok)
	}
}
