package tickets

import (
	"time"

	"github.com/nhiradar/nhiradar/analytics/detect"
	"github.com/nhiradar/nhiradar/analytics/findings"
	"github.com/nhiradar/nhiradar/analytics/owners"
	"github.com/nhiradar/nhiradar/analytics/policy"
)

// Past is the last review decision on an identity.
type Past struct {
	Decision string
	At       time.Time
}

// Changes are the events beyond the findings that make a certified
// identity's review due early.
type Changes struct {
	// Unexempted: by finding id, when an exception stopped covering it.
	Unexempted map[string]time.Time
	// Policy: since when the policy in force replaced another (zero: never).
	Policy time.Time
}

// SubjectsOf builds the review subjects of the identities still present:
// owner and manager from the policy, the cadence from its thresholds, the
// last decision, and the events that make a review due early: an owner
// who left, a privilege or an interactive use found since the last
// certification.
func SubjectsOf(ids []*detect.Identity, pol *policy.Policy, fs []findings.Finding, past map[string]Past, ch Changes) []Subject {
	open := map[string]map[string]time.Time{} // nhi_id -> rule -> first detected, of findings that hold
	unexempted := map[string]time.Time{}      // nhi_id -> latest exception expiry
	for _, f := range fs {
		if at, ok := ch.Unexempted[f.FindingID]; ok && at.After(unexempted[f.NHIID]) {
			unexempted[f.NHIID] = at
		}
		if f.State == findings.Resolved || f.State == findings.Accepted {
			continue
		}
		if open[f.NHIID] == nil {
			open[f.NHIID] = map[string]time.Time{}
		}
		open[f.NHIID][f.Rule] = f.FirstDetected
	}
	var out []Subject
	for _, id := range ids {
		if !id.StillPresent {
			continue
		}
		s := subject(id, pol, open[id.NHIID], past[id.NHIID])
		if s.Trigger == "" && !s.Certified.IsZero() {
			switch {
			case unexempted[id.NHIID].After(s.Certified):
				s.Trigger = "an exception on it expired after the last certification"
			case ch.Policy.After(s.Certified):
				s.Trigger = "the policy changed after the last certification"
			}
		}
		out = append(out, s)
	}
	return out
}

func subject(id *detect.Identity, pol *policy.Policy, rules map[string]time.Time, last Past) Subject {
	own := pol.Owner(id.Policy())
	host := ""
	if len(id.Hosts) > 0 {
		host = id.Hosts[0]
	}
	s := Subject{NHIID: id.NHIID, Kind: id.Kind, Principal: id.Principal, Hosts: id.Hosts, Owner: own.Owner,
		OwnerStatus: own.Status, Manager: own.Manager, Known: id.Known(), LastUsed: id.LastUsed.Time(),
		ReviewEvery: pol.Thresholds(id.Policy(), host).ReviewEvery, Escalated: last.Decision == NoResponse}
	if last.Decision == Certify {
		s.Certified = last.At
	}
	// A departed owner's Manager is already the nearest active one (or
	// none); only an active owner's reviewer comes from the directory row.
	if s.Manager == "" && own.Status != owners.Departed && pol.Directory != nil {
		if p, ok := pol.Directory.Get(own.Owner); ok {
			s.Manager = p.Manager
		}
	}
	// Interactive use by a person: the owner may not certify what they
	// use themselves (the evidence names a person, not always the owner:
	// the manager reviews either way).
	_, s.UsedByOwner = rules[findings.HumanUse]
	s.Trigger = trigger(rules, s.Certified)
	return s
}

// trigger names the event that makes a certified identity's review due
// early; a never-certified identity follows its cadence.
func trigger(rules map[string]time.Time, certified time.Time) string {
	if certified.IsZero() {
		return ""
	}
	for _, t := range []struct{ rule, why string }{
		{findings.OwnerDeparted, "its owner left after the last certification"},
		{findings.Overprivileged, "a privilege appeared after the last certification"},
		{findings.HumanUse, "interactive use appeared after the last certification"},
	} {
		if at, ok := rules[t.rule]; ok && at.After(certified) {
			return t.why
		}
	}
	return ""
}
