package tickets

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Review decisions, in the vocabulary of the governance suites.
const (
	Certify    = "certify"
	Revoke     = "revoke"
	NoResponse = "no_response"
)

// ReviewWindow is how long a reviewer has to answer; past it the review is
// escalated to the owner's manager, and a week later it counts as
// no_response (never as a silent certification).
const ReviewWindow = 14 * 24 * time.Hour

// Subject is one identity as a recertification sees it.
type Subject struct {
	NHIID, Kind, Principal string
	Hosts                  []string
	Owner, OwnerStatus     string
	Manager                string
	// Known is when the identity was first known; Certified when it was
	// last certified (zero: never). The review is due ReviewEvery after
	// the later of the two.
	Known, Certified time.Time
	ReviewEvery      time.Duration
	LastUsed         time.Time
	// UsedByOwner: the owner uses it interactively (human_use), so the
	// owner may not certify it; Escalated: the last review got no answer.
	// Either sends it to the manager.
	UsedByOwner, Escalated bool
	// Trigger names an event that makes the review due now: the owner
	// departed, a new privilege, an expired exception, a policy change.
	Trigger string
}

// Due reports whether the subject's review is due at now, and why.
func (s Subject) Due(now time.Time) (bool, string) {
	if s.Trigger != "" {
		return true, s.Trigger
	}
	from, what := s.Known, "first known"
	if !s.Certified.IsZero() {
		from, what = s.Certified, "last certified"
	}
	next := from.Add(s.ReviewEvery)
	if s.ReviewEvery <= 0 || next.After(now) {
		return false, ""
	}
	return true, fmt.Sprintf("%s %s; reviewed every %d days", what, from.Format("2006-01-02"), int(s.ReviewEvery.Hours()/24))
}

// Reviewer is who must answer for the subject, and why them: the owner,
// or the manager when the owner has left, uses the identity themselves
// or did not answer the last review. "" when nobody can (ownerless: that
// is a finding of its own).
func (s Subject) Reviewer() (string, string) {
	switch {
	case s.Owner == "":
		return "", ""
	case s.OwnerStatus == "departed":
		return s.Manager, "its owner " + s.Owner + " has left"
	case s.UsedByOwner:
		return s.Manager, "its owner " + s.Owner + " uses it interactively and may not certify it"
	case s.Escalated:
		return s.Manager, "the last review by " + s.Owner + " got no answer"
	}
	return s.Owner, "its owner"
}

// Reviews plans one recertification ticket per reviewer listing their
// identities due for review (or one per identity when perIdentity),
// leaving out those already under review.
func Reviews(subs []Subject, inReview map[string]bool, now time.Time, perIdentity ...bool) []Request {
	one := len(perIdentity) > 0 && perIdentity[0]
	byReviewer := map[string][]Subject{}
	for _, s := range subs {
		if inReview[s.NHIID] {
			continue
		}
		if due, _ := s.Due(now); !due {
			continue
		}
		if r, _ := s.Reviewer(); r != "" {
			k := r
			if one {
				k = r + "\x00" + s.NHIID
			}
			byReviewer[k] = append(byReviewer[k], s)
		}
	}
	out := make([]Request, 0, len(byReviewer))
	for k, list := range byReviewer {
		sort.Slice(list, func(i, j int) bool { return list[i].NHIID < list[j].NHIID })
		reviewer, _, _ := strings.Cut(k, "\x00")
		out = append(out, review(reviewer, list, now))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

func review(reviewer string, list []Subject, now time.Time) Request {
	ids := make([]string, len(list))
	for i, s := range list {
		ids[i] = s.NHIID
	}
	sum := sha256.Sum256([]byte(reviewer + "\x00" + strings.Join(ids, ",")))
	due := now.Add(ReviewWindow).UTC().Truncate(24 * time.Hour)
	return Request{
		Key: "r-" + hex.EncodeToString(sum[:8]), Type: Recertification, Severity: "medium", Priority: "medium",
		Title: fmt.Sprintf("[NHI Radar] review: %d identities for %s", len(list), reviewer),
		Body:  reviewBody(reviewer, list, now, due), Due: due, Owner: reviewer, NHIIDs: ids,
		Labels: []string{"nhi-radar", "nhi-recertification"},
	}
}

func reviewBody(reviewer string, list []Subject, now, due time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Review for %s, due %s: for each identity below, is it still needed, by whom, with these rights?\n",
		reviewer, due.Format("2006-01-02"))
	b.WriteString("Answer per identity (nhictl tickets answer TICKET NHI_ID certify|revoke), or close the ticket with resolution certified or revoke for all not answered.\n")
	b.WriteString("Certify keeps it until its next review; revoke opens a remediation ticket to remove it. No answer by the due date goes to the owner's manager, and a week later counts as no response — never as certified.\n")
	for _, s := range list {
		_, why := s.Due(now)
		_, whom := s.Reviewer()
		used := "no use seen"
		if !s.LastUsed.IsZero() && s.LastUsed.Unix() > 0 {
			used = "last used " + s.LastUsed.Format("2006-01-02")
		}
		fmt.Fprintf(&b, "\n- %s %s on %s (nhi_id %s)\n  due: %s; %s; you review it as %s\n",
			s.Kind, s.Principal, strings.Join(s.Hosts, ", "), s.NHIID, why, used, whom)
	}
	return b.String()
}
