package tickets

import (
	"testing"
	"time"

	"github.com/nhiradar/nhiradar/analytics/detect"
	"github.com/nhiradar/nhiradar/analytics/findings"
	"github.com/nhiradar/nhiradar/analytics/policy"
)

// TestEarlyReviews: an expired exception or a new policy after the last
// certification makes a review due at once; before it, the cadence rules.
func TestEarlyReviews(t *testing.T) {
	day := 24 * time.Hour
	id := func(nhi string) *detect.Identity {
		return &detect.Identity{NHIID: nhi, Kind: "aws_access_key", Principal: "AKIA" + nhi, Hosts: []string{"h1"},
			StillPresent: true, FirstSeen: detect.StampOf(now.Add(-400 * day))}
	}
	certified := now.Add(-10 * day)
	past := map[string]Past{"a": {Certify, certified}, "b": {Certify, certified}, "c": {Certify, certified}}
	fs := []findings.Finding{{FindingID: "f-b", NHIID: "b", Rule: findings.LongLived, State: findings.Reopened}}
	ch := Changes{Unexempted: map[string]time.Time{"f-b": now.Add(-2 * day)}, Policy: now.Add(-20 * day)}
	subs := SubjectsOf([]*detect.Identity{id("a"), id("b")}, policy.Default(), fs, past, ch)
	got := map[string]string{}
	for _, s := range subs {
		got[s.NHIID] = s.Trigger
	}
	if got["a"] != "" || got["b"] != "an exception on it expired after the last certification" {
		t.Fatalf("triggers %q; want none for a (policy changed before its certification), the exception for b", got)
	}
	ch.Policy = now.Add(-day)
	subs = SubjectsOf([]*detect.Identity{id("c")}, policy.Default(), nil, past, ch)
	if len(subs) != 1 || subs[0].Trigger != "the policy changed after the last certification" {
		t.Fatalf("after a policy change: %+v", subs)
	}
	if due, why := subs[0].Due(now); !due || why != subs[0].Trigger {
		t.Errorf("due %v (%s); want due for the policy change", due, why)
	}
}
