package findings

import (
	"strings"
	"testing"
	"time"
)

func TestIDStableAndPerHost(t *testing.T) {
	if ID(Dormant, "n1", "web-01") != ID(Dormant, "n1", "web-02") {
		t.Error("dormant is per identity: the host must not change its id")
	}
	if ID(ExposedFile, "n1", "web-01") == ID(ExposedFile, "n1", "web-02") {
		t.Error("exposed_file is per host: two hosts must give two ids")
	}
	if ID(Dormant, "n1", "") == ID(Ownerless, "n1", "") {
		t.Error("two rules gave one id")
	}
	if got := ID(Reused, "n1", ""); got != ID(Reused, "n1", "") || !strings.HasPrefix(got, "f-") {
		t.Errorf("id %q not stable", got)
	}
}

// The id is what stores and tickets know a finding by: its spelling must
// not change, and a key must read back from it.
func TestKeySpellsTheID(t *testing.T) {
	const want = "f-46dbe7be0a5a5f6c" // what every release so far has stored
	id := ID(Dormant, "n1", "")
	if id != want {
		t.Fatalf("id %q, want %q", id, want)
	}
	k, err := ParseKey(id)
	if err != nil || k != KeyOf(Dormant, "n1", "") || k.ID() != id {
		t.Fatalf("ParseKey(%q) = %v, %v; KeyOf = %v", id, k, err, KeyOf(Dormant, "n1", ""))
	}
	for _, bad := range []string{"", "f-", "f-xyz", "4e1e6b1d0a3f6d52", "f-4e1e6b1d0a3f6d", "f-4e1e6b1d0a3f6d5200"} {
		if _, err := ParseKey(bad); err == nil {
			t.Errorf("ParseKey(%q): no error", bad)
		}
	}
}

func TestNext(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	obs := &Observation{Rule: ExposedFile, NHIID: "n1", Host: "web-01", Severity: "high", Evidence: []string{"mode 0644"}}
	stored := func(state string) *Finding {
		return &Finding{FindingID: obs.Key().ID(), Rule: ExposedFile, State: state, FirstDetected: t0, LastDetected: t0}
	}
	cases := []struct {
		name      string
		prev      *Finding
		in        Input
		wantState string // "" = nothing stored
		wantTrans []string
	}{
		{"new", nil, Input{Observed: obs}, Open, []string{"->open"}},
		{"still open", stored(Open), Input{Observed: obs}, Open, nil},
		{"ticketed stays", stored(Ticketed), Input{Observed: obs}, Ticketed, nil},
		{"unseen, never stored", nil, Input{Rescanned: true}, "", nil},
		{"unseen, not rescanned keeps", stored(Open), Input{}, Open, nil},
		{"unseen, rescanned resolves", stored(Open), Input{Rescanned: true, Gone: "mode now 0600"}, Resolved, []string{"open->resolved"}},
		{"verifying resolves", stored(Verifying), Input{Rescanned: true}, Resolved, []string{"verifying->resolved"}},
		{"resolved stays", stored(Resolved), Input{Rescanned: true}, Resolved, nil},
		{"resolved holds again", stored(Resolved), Input{Observed: obs}, Reopened, []string{"resolved->reopened"}},
		{"verifying waits for the ticket sync", stored(Verifying), Input{Observed: obs}, Verifying, nil},
		{"reopened stays", stored(Reopened), Input{Observed: obs}, Reopened, nil},
		{"exempt new", nil, Input{Observed: obs, Exempt: true, ExemptWhy: "ok"}, Accepted, []string{"->accepted"}},
		{"exempt open", stored(Open), Input{Observed: obs, Exempt: true}, Accepted, []string{"open->accepted"}},
		{"exemption expired", stored(Accepted), Input{Observed: obs, ExemptWhy: "expired 2026-01-01"}, Reopened, []string{"accepted->reopened"}},
		{"accepted unseen rescanned", stored(Accepted), Input{Rescanned: true}, Resolved, []string{"accepted->resolved"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.in.Now = t0.Add(time.Hour)
			f, tr := Next(c.prev, c.in)
			state := ""
			if f != nil {
				state = f.State
			}
			if state != c.wantState {
				t.Errorf("state %q, want %q", state, c.wantState)
			}
			var got []string
			for _, x := range tr {
				got = append(got, x.From+"->"+x.To)
				if x.At != c.in.Now || x.By != "analyze" || x.FindingID != obs.Key().ID() {
					t.Errorf("transition %+v: wrong at/by/id", x)
				}
			}
			if strings.Join(got, ",") != strings.Join(c.wantTrans, ",") {
				t.Errorf("transitions %v, want %v", got, c.wantTrans)
			}
			if f != nil && c.prev != nil && !f.FirstDetected.Equal(t0) {
				t.Errorf("first_detected %v, want %v kept", f.FirstDetected, t0)
			}
			if state == Resolved && c.prev.State != Resolved && !f.ResolvedAt.Equal(c.in.Now) {
				t.Errorf("resolved_at %v", f.ResolvedAt)
			}
			if state == Reopened && !f.ResolvedAt.IsZero() {
				t.Errorf("reopened keeps resolved_at %v", f.ResolvedAt)
			}
		})
	}
}

func TestEveryRuleHasControls(t *testing.T) {
	for _, r := range Rules() {
		cs := Controls(r)
		if len(cs) == 0 || !strings.HasPrefix(cs[0], "OWASP-NHI:NHI") {
			t.Errorf("%s: controls %v, want an OWASP NHI control first", r, cs)
		}
	}
	if len(controls) != len(Rules()) {
		t.Errorf("%d rules have controls, want %d", len(controls), len(Rules()))
	}
}

func TestRuleIndex(t *testing.T) {
	for i, r := range Rules() {
		if RuleIndex(r) != i {
			t.Errorf("RuleIndex(%s) = %d, want %d", r, RuleIndex(r), i)
		}
	}
	if RuleIndex("no_such_rule") != -1 {
		t.Error("an unknown rule has an index")
	}
}
