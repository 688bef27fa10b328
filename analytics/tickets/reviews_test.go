package tickets

import (
	"strings"
	"testing"
	"time"
)

func TestReviewsDueReviewerAndGrouping(t *testing.T) {
	day := 24 * time.Hour
	base := Subject{Kind: "aws_access_key", Hosts: []string{"prod-web-1"}, Owner: "alice", OwnerStatus: "active",
		Manager: "carol", ReviewEvery: 90 * day}
	due, fresh, departed, used, noAnswer, triggered, ownerless := base, base, base, base, base, base, base
	due.NHIID, due.Known = "n1", now.Add(-100*day)
	fresh.NHIID, fresh.Known, fresh.Certified = "n2", now.Add(-400*day), now.Add(-10*day)
	departed.NHIID, departed.Known, departed.OwnerStatus = "n3", now.Add(-100*day), "departed"
	used.NHIID, used.Known, used.UsedByOwner = "n4", now.Add(-100*day), true
	noAnswer.NHIID, noAnswer.Known, noAnswer.Escalated = "n5", now.Add(-100*day), true
	triggered.NHIID, triggered.Known, triggered.Certified, triggered.Trigger = "n6", now.Add(-400*day), now.Add(-5*day), "its owner left after the last certification"
	ownerless.NHIID, ownerless.Known, ownerless.Owner = "n7", now.Add(-100*day), ""
	got := Reviews([]Subject{due, fresh, departed, used, noAnswer, triggered, ownerless}, map[string]bool{}, now)
	by := map[string][]string{}
	for _, r := range got {
		by[r.Owner] = r.NHIIDs
		if r.Type != Recertification || !strings.HasPrefix(r.Key, "r-") || r.Due.Before(now.Add(13*day)) {
			t.Errorf("review %+v", r)
		}
	}
	if strings.Join(by["alice"], ",") != "n1,n6" || strings.Join(by["carol"], ",") != "n3,n4,n5" || len(got) != 2 {
		t.Fatalf("reviews by reviewer: %v; want alice n1,n6 (due, triggered) and carol n3,n4,n5 (departed, used by owner, unanswered)", by)
	}
	if again := Reviews([]Subject{due}, map[string]bool{"n1": true}, now); len(again) != 0 {
		t.Errorf("an identity under review got a second review: %+v", again)
	}
	if !strings.Contains(got[0].Body+got[1].Body, "never as certified") {
		t.Error("the review must say that no answer is never a certification")
	}
}

func TestReviewPerIdentity(t *testing.T) {
	day := 24 * time.Hour
	a := Subject{NHIID: "n1", Owner: "alice", OwnerStatus: "active", Known: now.Add(-100 * day), ReviewEvery: 90 * day}
	b := a
	b.NHIID = "n2"
	got := Reviews([]Subject{a, b}, nil, now, true)
	if len(got) != 2 || got[0].Owner != "alice" || len(got[0].NHIIDs) != 1 || got[0].Key == got[1].Key {
		t.Fatalf("per identity: %+v; want two reviews for alice, one identity each", got)
	}
}
