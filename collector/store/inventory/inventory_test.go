package inventory_test

import (
	"context"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/nhiradar/nhiradar/collector/store/eventdb"
	"github.com/nhiradar/nhiradar/collector/store/inventory"
	"github.com/nhiradar/nhiradar/collector/store/storetest"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

var t0 = storetest.T0

func scanDone(host string, started time.Time, part, parts int, seen ...string) *event.Event {
	e := &event.Event{Type: event.TypeScanCompleted, Plugin: "credfiles", ScanID: "scan-" + host + started.Format("150405"),
		Time: started.Add(time.Minute), Scan: &event.Scan{Full: true, StartedAt: started, FinishedAt: started.Add(time.Minute),
			Seen: append([]string{}, seen...), Part: part, Parts: parts}}
	e.Complete("agent-"+host, host, started)
	return e
}

func used(host, principal, fp, actor string, at time.Time) *event.Event {
	e := &event.Event{Type: event.TypeUsageEvidence, Plugin: "authlog", Principal: principal, Fingerprint: fp,
		Evidence: event.EvidenceSSHLogin, Source: "/var/log/auth.log", Actor: actor, UsedAt: &at, Time: at}
	e.Complete("agent-"+host, host, at)
	return e
}

// TestInventoryDerived checks what nhi_inventory and agents derive from
// observations, scans, usage and heartbeats, with every event stored twice.
func TestInventoryDerived(t *testing.T) {
	st := storetest.Migrated(t)
	ctx := context.Background()
	fpB := strings.Repeat("b2", 32)
	a1, a2 := storetest.Observed("h1", "AKIAAAAAAAAAAAAAAAAA", "", t0), storetest.Observed("h2", "AKIAAAAAAAAAAAAAAAAA", "", t0)
	b := storetest.Observed("h3", "AKIABBBBBBBBBBBBBBBB", fpB, t0)
	c := storetest.Observed("h4", "AKIACCCCCCCCCCCCCCCC", "", t0)
	events := []*event.Event{a1, a2, b, c,
		scanDone("h1", t0.Add(time.Hour), 1, 1),           // a is gone from h1, still on h2 (never scanned)
		scanDone("h3", t0.Add(time.Hour), 1, 1),           // b is gone everywhere
		scanDone("h4", t0.Add(time.Hour), 1, 2),           // part 1 of 2: incomplete, c counts as present
		scanDone("h4", t0.Add(-time.Hour), 1, 1, c.NHIID), // an older complete scan listing c
		used("h1", "AKIAAAAAAAAAAAAAAAAA", "", "10.0.0.9", t0.Add(2*time.Hour)),
		used("h1", "AKIAAAAAAAAAAAAAAAAA", "", "10.0.0.1", t0.Add(time.Hour)),
		used("h9", "", fpB, "deploy", t0.Add(3*time.Hour)),
		storetest.Heartbeat("agent-1", t0, 10), storetest.Heartbeat("agent-1", t0.Add(time.Minute), 7),
	}
	for i := 0; i < 2; i++ { // a re-delivered batch
		if err := eventdb.New(st).InsertEvents(ctx, events); err != nil {
			t.Fatal(err)
		}
	}
	inv, err := inventory.New(st).Rows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(inv) != 3 {
		t.Fatalf("inventory has %d identities, want 3: %+v", len(inv), inv)
	}
	a, bb, cc := inv[0], inv[1], inv[2]
	if strings.Join(a.Hosts, ",") != "h1,h2" || !a.StillPresent || strings.Join(a.PresentHosts, ",") != "h2" {
		t.Errorf("a: hosts %v present %v on %v; want h1,h2, present on h2 only", a.Hosts, a.StillPresent, a.PresentHosts)
	}
	if !a.LastUsed.Equal(t0.Add(2*time.Hour)) || a.LastActor != "10.0.0.9" || a.LastEvidence != "ssh_login" || a.LastSource != "/var/log/auth.log" {
		t.Errorf("a: last used %v by %q (%s, %s); want the newest evidence", a.LastUsed, a.LastActor, a.LastEvidence, a.LastSource)
	}
	if strings.Join(a.OwnerHints, ",") != "profile:AKIAAAAAAAAAAAAAAAAA" || strings.Join(a.Accounts, ",") != "root" {
		t.Errorf("a: owner hints %v accounts %v", a.OwnerHints, a.Accounts)
	}
	if bb.StillPresent || !bb.LastUsed.Equal(t0.Add(3*time.Hour)) || bb.LastActor != "deploy" {
		t.Errorf("b: present %v, last used %v by %q; want gone, used by fingerprint", bb.StillPresent, bb.LastUsed, bb.LastActor)
	}
	if !cc.StillPresent || cc.LastUsed.Unix() != 0 {
		t.Errorf("c: present %v last used %v; want present (latest scan incomplete), never used", cc.StillPresent, cc.LastUsed)
	}
	var agents, depth, dropped int64
	var version string
	var last time.Time
	row := st.Conn().QueryRow(ctx, "SELECT toInt64(count()), toInt64(any(spool_depth)), toInt64(any(dropped)), any(version), any(last_seen) FROM agents")
	if err := row.Scan(&agents, &depth, &dropped, &version, &last); err != nil {
		t.Fatal(err)
	}
	if agents != 1 || depth != 7 || dropped != 3 || version != "1.2.1" || !last.Equal(t0.Add(time.Minute)) {
		t.Errorf("agents: %d rows, spool depth %d, dropped %d, version %q, last seen %v", agents, depth, dropped, version, last)
	}
}

// TestUnreadableIsNotGone: a scan that could not read the file holding an
// identity (scan.unreadable names it, or a directory above it) keeps the
// identity present; the next scan that reads the file and misses it
// removes it.
func TestUnreadableIsNotGone(t *testing.T) {
	st := storetest.Migrated(t)
	ctx := context.Background()
	a, b := storetest.Observed("h1", "AKIAUNREADABLEAAAAAA", "", t0), storetest.Observed("h2", "AKIAUNREADABLEBBBBBB", "", t0)
	blind := scanDone("h1", t0.Add(time.Hour), 1, 1)
	blind.Scan.Errors, blind.Scan.Unreadable = 1, []string{"/root/.aws/credentials"}
	blindDir := scanDone("h2", t0.Add(time.Hour), 1, 1)
	blindDir.Scan.Errors, blindDir.Scan.Unreadable = 2, []string{"/root/.aw", "/root"} // "/root/.aw" is no parent
	if err := eventdb.New(st).InsertEvents(ctx, []*event.Event{a, b, blind, blindDir}); err != nil {
		t.Fatal(err)
	}
	present := func() map[string]bool {
		inv, err := inventory.New(st).Rows(ctx)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		for _, i := range inv {
			out[i.Principal] = i.StillPresent
		}
		return out
	}
	if got := present(); !got["AKIAUNREADABLEAAAAAA"] || !got["AKIAUNREADABLEBBBBBB"] {
		t.Fatalf("identities in unreadable files taken for gone: %v", got)
	}
	if err := eventdb.New(st).InsertEvents(ctx, []*event.Event{scanDone("h1", t0.Add(2*time.Hour), 1, 1)}); err != nil {
		t.Fatal(err)
	}
	if got := present(); got["AKIAUNREADABLEAAAAAA"] || !got["AKIAUNREADABLEBBBBBB"] {
		t.Fatalf("after a scan that read the file: %v; want a gone, b still present", got)
	}
}

// TestFreshScans: a host is fresh once a complete full scan started after
// the time asked about; an incomplete scan, an older one or none is not.
func TestFreshScans(t *testing.T) {
	st := storetest.Migrated(t)
	ctx := context.Background()
	events := []*event.Event{
		scanDone("h1", t0.Add(time.Hour), 1, 1),
		scanDone("h2", t0.Add(time.Hour), 1, 2), // part 1 of 2 only
		scanDone("h3", t0.Add(-time.Hour), 1, 1),
	}
	if err := eventdb.New(st).InsertEvents(ctx, events); err != nil {
		t.Fatal(err)
	}
	hosts := []string{"h1", "h2", "h3", "h4"}
	got, err := inventory.New(st).FreshScans(ctx, hosts, t0)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]bool{"h1": true, "h2": false, "h3": false, "h4": false}; !maps.Equal(got, want) {
		t.Errorf("fresh since t0 = %v, want %v", got, want)
	}
	if got, err = inventory.New(st).FreshScans(ctx, hosts, t0.Add(2*time.Hour)); err != nil || got["h1"] {
		t.Errorf("fresh since after every scan = %v (%v), want none", got, err)
	}
}
