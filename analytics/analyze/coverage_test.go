package analyze

import (
	"context"
	"testing"
	"time"

	"github.com/nhiradar/nhiradar/analytics/findings"
	"github.com/nhiradar/nhiradar/analytics/policy"
	"github.com/nhiradar/nhiradar/collector/store/eventdb"
	"github.com/nhiradar/nhiradar/collector/store/findingdb"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// TestDormantNeedsCoverage: two authorized keys written 400 days ago and
// never used. On the host whose auth log reaches back 400 days the key is
// dormant; on the host whose log reaches back 10 days nothing can tell, so
// it is not dormant and its use is unobservable.
func TestDormantNeedsCoverage(t *testing.T) {
	st := openTest(t)
	ctx := context.Background()
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	ago := func(d int) time.Time { return now.Add(-time.Duration(d) * 24 * time.Hour) }
	var evs []*event.Event
	add := func(e *event.Event, host string, at time.Time) {
		e.Time = at
		e.Complete("agent-"+host, host, at)
		evs = append(evs, e)
	}
	keys := map[string]string{}
	for host, reach := range map[string]int{"long-log": 400, "short-log": 10} {
		mod := ago(400)
		k := &event.Event{Type: event.TypeNHIObserved, Plugin: "sshkeys", Kind: event.KindSSHAuthorizedKey,
			Principal: "SHA256:key-on-" + host, Location: "/home/app/.ssh/authorized_keys", ModifiedAt: &mod, ScanID: event.NewID()}
		add(k, host, ago(1))
		keys[host] = k.NHIID
		for _, d := range []int{reach, 1} {
			used := ago(d)
			add(&event.Event{Type: event.TypeUsageEvidence, Plugin: "authlog", Kind: event.KindSSHAuthorizedKey,
				Principal: "SHA256:another-key", Evidence: event.EvidenceSSHLogin, Source: "/var/log/auth.log",
				Actor: "192.0.2.1", UsedAt: &used}, host, used)
		}
	}
	if err := eventdb.New(st).InsertEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	sum, err := Run(ctx, st, Options{Policy: policy.Default(), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	all, err := findingdb.New(st).Findings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dormant := map[string]bool{}
	for _, f := range all {
		if f.Rule == findings.Dormant {
			dormant[f.NHIID] = true
		}
	}
	if !dormant[keys["long-log"]] || dormant[keys["short-log"]] || len(dormant) != 1 {
		t.Fatalf("dormant %v; want only the key on long-log", dormant)
	}
	if sum.Unobservable != 1 {
		t.Fatalf("unobservable identities: %d, want 1", sum.Unobservable)
	}
}

// TestCoverageReportedByTheScan: a host whose auth log reaches back 400
// days says so in its scan (scan.coverage) even though nobody logged in:
// a key written 400 days ago and never used there is dormant. Without
// that report nothing can tell, and the key is not. A log that reports
// coverage of its last 10 days only and held a login 400 days ago reaches
// back 400 days: the wider span of the two counts.
func TestCoverageReportedByTheScan(t *testing.T) {
	st := openTest(t)
	ctx := context.Background()
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	ago := func(d int) time.Time { return now.Add(-time.Duration(d) * 24 * time.Hour) }
	var evs []*event.Event
	keys := map[string]string{}
	for _, host := range []string{"reports-reach", "silent", "both-spans"} {
		mod := ago(400)
		k := &event.Event{Type: event.TypeNHIObserved, Plugin: "sshkeys", Kind: event.KindSSHAuthorizedKey,
			Principal: "SHA256:unused-on-" + host, Location: "/home/app/.ssh/authorized_keys", ModifiedAt: &mod, ScanID: event.NewID()}
		k.Complete("agent-"+host, host, ago(1))
		keys[host] = k.NHIID
		scan := &event.Event{Type: event.TypeScanCompleted, Plugin: "authlog", ScanID: event.NewID(),
			Scan: &event.Scan{Full: true, StartedAt: ago(1), FinishedAt: ago(1), Seen: []string{}, Part: 1, Parts: 1}}
		switch host {
		case "reports-reach":
			scan.Scan.Coverage = []event.Coverage{{Source: "/var/log/auth.log", Evidence: event.EvidenceSSHLogin, From: ago(400), To: ago(1)}}
		case "both-spans":
			scan.Scan.Coverage = []event.Coverage{{Source: "/var/log/auth.log", Evidence: event.EvidenceSSHLogin, From: ago(10), To: ago(1)}}
			used := ago(400)
			old := &event.Event{Type: event.TypeUsageEvidence, Plugin: "authlog", Kind: event.KindSSHAuthorizedKey,
				Principal: "SHA256:another-key", Evidence: event.EvidenceSSHLogin, Source: "/var/log/auth.log",
				Actor: "192.0.2.1", UsedAt: &used}
			old.Complete("agent-"+host, host, used)
			evs = append(evs, old)
		}
		scan.Complete("agent-"+host, host, ago(1))
		evs = append(evs, k, scan)
	}
	if err := eventdb.New(st).InsertEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(ctx, st, Options{Policy: policy.Default(), Now: now}); err != nil {
		t.Fatal(err)
	}
	all, err := findingdb.New(st).Findings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dormant := map[string]string{}
	for _, f := range all {
		if f.Rule == findings.Dormant {
			dormant[f.NHIID] = f.Evidence[0]
		}
	}
	_, reach := dormant[keys["reports-reach"]]
	_, both := dormant[keys["both-spans"]]
	if !reach || !both || len(dormant) != 2 {
		t.Fatalf("dormant %v; want the never-used keys on the hosts whose log reaches back 400 days", dormant)
	}
}
