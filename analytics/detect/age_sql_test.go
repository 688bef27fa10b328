package detect

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/nhiradar/nhiradar/analytics/analyze/analyzetest"
	"github.com/nhiradar/nhiradar/analytics/policy"
	"github.com/nhiradar/nhiradar/collector/store/eventdb"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// TestFirstScanAge: on a fleet's very first scan, a key written two years
// ago and never used since is already two years old and long_lived. Its
// age is the earliest host evidence across every event (created_at, then
// modified_at), whatever order the events arrive in, never first_seen.
func TestFirstScanAge(t *testing.T) {
	src, st := emptySource(t)
	ctx := context.Background()
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	ago := func(days int) *time.Time { t := now.AddDate(0, 0, -days); return &t }
	observed := func(host string, at time.Time, created, modified *time.Time) *event.Event {
		e := &event.Event{Type: event.TypeNHIObserved, Plugin: "credfiles", Kind: event.KindAWSAccessKey,
			Principal: "AKIAFIRSTSCANOLD0001", Fingerprint: analyzetest.Fingerprint("first-scan-old-key"),
			Location: "/srv/app/.env", FileOwner: "app", FileMode: "0600", Account: "app",
			CreatedAt: created, ModifiedAt: modified}
		e.Time = at
		e.Complete("agent-"+host, host, at)
		return e
	}
	// The later event, with a newer created_at (a copy of the file made
	// last week on another host), is stored first and in its own batch.
	later := observed("web-2", now.Add(-time.Hour), ago(10), ago(5))
	first := observed("web-1", now.Add(-2*time.Hour), ago(730), ago(700))
	for _, batch := range [][]*event.Event{{later}, {first}} {
		if err := eventdb.New(st).InsertEvents(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	ids, err := LoadIdentities(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 1 {
		t.Fatalf("identities: %d, want 1", len(ids))
	}
	id := ids[0]
	if !id.CreatedAt.Equal(*ago(730)) || !id.ModifiedAt.Equal(*ago(700)) {
		t.Fatalf("created_at %v modified_at %v, want the earliest: %v and %v", id.CreatedAt, id.ModifiedAt, *ago(730), *ago(700))
	}
	if !id.Age().Equal(*ago(730)) || !id.Known().Equal(*ago(730)) || id.FirstSeen.Before(now.Add(-3*time.Hour)) {
		t.Fatalf("age %v known %v first_seen %v: age must come from the host, not from first_seen", id.Age(), id.Known(), id.FirstSeen)
	}
	env := NewEnv(policy.Default(), now, ids)
	got := slices.Collect(evalLongLived(env))
	want := "730 days old (policy: at most 365 days for static keys and tokens): the earliest creation or file time its hosts report is " + day(*ago(730))
	if len(got) != 1 || !slices.Equal(got[0].Evidence, []string{want}) {
		t.Fatalf("long_lived on the first scan: %+v, want the evidence %q", got, want)
	}
	if d := slices.Collect(evalDormant(env, nil)); len(d) != 0 {
		t.Fatalf("dormant without a usage source: %+v (absence of evidence is not evidence)", d)
	}
}
