// Package storetest gives the tests of the store's packages a throwaway
// database on the development ClickHouse and the events to fill it with.
package storetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nhiradar/nhiradar/collector/store"
	"github.com/nhiradar/nhiradar/internal/devservices"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// T0 is the fixtures' reference time.
var T0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// Unmigrated opens a store on a database of its own that does not exist
// yet; the database is dropped when the test ends.
func Unmigrated(t testing.TB) *store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{Addr: []string{devservices.ClickHouseAddr(t)}, Database: devservices.UniqueName("nhi_store")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = st.Conn().Exec(ctx, "DROP DATABASE IF EXISTS "+st.Database())
		st.Close()
	})
	return st
}

// Migrated is Unmigrated with the schema created.
func Migrated(t testing.TB) *store.Store {
	t.Helper()
	st := Unmigrated(t)
	if _, err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st
}

// Observed is an AWS key found on host at at.
func Observed(host, principal, fp string, at time.Time) *event.Event {
	e := &event.Event{Type: event.TypeNHIObserved, Plugin: "credfiles", ScanID: event.NewID(), Kind: event.KindAWSAccessKey,
		Principal: principal, Fingerprint: fp, Location: "/root/.aws/credentials", Account: "root",
		OwnerHints: []string{"profile:" + principal}, Time: at}
	e.Complete("agent-"+host, host, at)
	return e
}

// WithAttrs is an AWS key with an expiry and attributes, found on web-01 now.
func WithAttrs(principal string) *event.Event {
	exp := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	e := &event.Event{Type: event.TypeNHIObserved, Plugin: "credfiles", ScanID: event.NewID(),
		Kind: event.KindAWSAccessKey, Principal: principal, Fingerprint: strings.Repeat("a1", 32),
		Location: "/root/.aws/credentials", Key: "aws_secret_access_key", ExpiresAt: &exp,
		Attrs: map[string]string{"region": "eu-west-1", "profile": "default"}}
	e.Complete("agent-1", "web-01", time.Now())
	return e
}

// Heartbeat is a small heartbeat of agent.
func Heartbeat(agent string, at time.Time, depth int64) *event.Event {
	e := &event.Event{Type: event.TypeAgentHeartbeat, Time: at,
		Heartbeat: &event.Heartbeat{Version: "1.2." + agent[len(agent)-1:], SpoolDepth: depth, Dropped: 3}}
	e.Complete(agent, "host-"+agent, at)
	return e
}

// FullHeartbeat is a heartbeat with every field set, nested ones included.
func FullHeartbeat(at time.Time) *event.Event {
	boot, last := at.Add(-time.Hour), at
	e := &event.Event{Type: event.TypeAgentHeartbeat, Time: at, Heartbeat: &event.Heartbeat{
		Version: "1.4.0", OS: "linux", BootTime: &boot, IPs: []string{"10.0.0.1"},
		SpoolDepth: 12, Dropped: 2, CPUPercent: 1.5, RSSBytes: 30 << 20,
		Plugins: []event.PluginStatus{{Name: "credfiles", State: "running", LastScan: &last, RSSBytes: 1 << 20},
			{Name: "authlog", State: "held", Restarts: 4, LimitReached: "cpu"}},
		Budget: &event.Budget{CPUPercent: 4.9, Throttled: true, Pauses: 3, Reason: "cpu"}}}
	e.Complete("agent-9", "host-9", at)
	return e
}
