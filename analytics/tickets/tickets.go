// Package tickets is where a ticket is decided: from the findings and the
// policy's ticketing block it plans which tickets should exist, for which
// findings, with what title, body, priority, queue and due date. It is
// pure; the collector's ticket sync executes the plan against an ITSM
// system, and a connector sees only the rendered request.
package tickets

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/nhiradar/nhiradar/analytics/findings"
	"github.com/nhiradar/nhiradar/analytics/policy"
)

// Types of ticket.
const (
	Remediation     = "remediation"
	Recertification = "recertification"
)

// Request is one ticket the policy wants to exist. It never carries a
// secret: findings hold none, and only their non-secret fields are used.
type Request struct {
	// Key correlates the ticket with its findings on the remote system:
	// the finding id, or for a group "g-" and a digest of owner and rule.
	Key        string    `json:"key"`
	Type       string    `json:"type"`
	Title      string    `json:"title"`
	Body       string    `json:"body"`
	Priority   string    `json:"priority"`
	Severity   string    `json:"severity"`
	Queue      string    `json:"queue,omitempty"`
	Due        time.Time `json:"due"`
	Labels     []string  `json:"labels"`
	Owner      string    `json:"owner,omitempty"`
	FindingIDs []string  `json:"finding_ids"`
	// NHIIDs are the identities a recertification (or a revocation it
	// decided) is about.
	NHIIDs []string `json:"nhi_ids,omitempty"`
}

// defaultDueDays is how long remediation may take when the policy says
// nothing: the sooner the worse.
var defaultDueDays = map[string]int{"critical": 2, "high": 7, "medium": 30, "low": 90}

// Wanted reports whether a finding in this state needs a remediation
// ticket opened: it holds and nobody is working on it yet.
func Wanted(state string) bool { return state == findings.Open || state == findings.Reopened }

// Plan returns the remediation tickets the findings call for, sorted by
// key. Findings of one owner and rule share a ticket when the policy says
// group_by_owner; the ticket then has the group's highest severity.
func Plan(fs []findings.Finding, pol *policy.Policy, now time.Time) []Request {
	groups := map[string][]findings.Finding{}
	for _, f := range fs {
		if Wanted(f.State) {
			k := key(f, pol.Ticketing.GroupByOwner)
			groups[k] = append(groups[k], f)
		}
	}
	out := make([]Request, 0, len(groups))
	for k, g := range groups {
		sort.Slice(g, func(i, j int) bool { return g[i].FindingID < g[j].FindingID })
		out = append(out, render(k, g, pol, now))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// key is the correlation key: a finding's own id, or one per owner and rule.
func key(f findings.Finding, group bool) string {
	if !group || f.Owner == "" {
		return f.FindingID
	}
	sum := sha256.Sum256([]byte(f.Owner + "\x00" + f.Rule))
	return "g-" + hex.EncodeToString(sum[:8])
}

func render(k string, g []findings.Finding, pol *policy.Policy, now time.Time) Request {
	lead := g[0]
	sev := worst(g)
	days := defaultDueDays[sev]
	if d, ok := pol.Ticketing.DueDays[sev]; ok {
		days = d
	}
	due := now.Add(time.Duration(days) * 24 * time.Hour).UTC().Truncate(24 * time.Hour)
	r := Request{
		Key: k, Type: Remediation, Severity: sev, Priority: priority(pol, sev), Queue: queue(pol, lead),
		Due: due, Owner: lead.Owner, Labels: []string{"nhi-radar", "nhi-" + lead.Rule, "nhi-" + k},
	}
	for _, f := range g {
		r.FindingIDs = append(r.FindingIDs, f.FindingID)
	}
	r.Title = title(lead, len(g))
	r.Body = body(g, due)
	return r
}

func worst(g []findings.Finding) string {
	rank := map[string]int{"critical": 4, "high": 3, "medium": 2, "low": 1}
	best := g[0].Severity
	for _, f := range g[1:] {
		if rank[f.Severity] > rank[best] {
			best = f.Severity
		}
	}
	return best
}

func priority(pol *policy.Policy, sev string) string {
	if p, ok := pol.Ticketing.Priority[sev]; ok {
		return p
	}
	return sev
}

// queue: the owner's queue, else the environment's of the first host,
// else the severity's, else the default.
func queue(pol *policy.Policy, f findings.Finding) string {
	t := pol.Ticketing
	if q, ok := t.QueueByOwner[f.Owner]; ok {
		return q
	}
	for _, h := range f.Hosts {
		if q, ok := t.QueueByEnvironment[pol.Environment(h)]; ok {
			return q
		}
	}
	if q, ok := t.QueueBySeverity[f.Severity]; ok {
		return q
	}
	return t.DefaultQueue
}

func title(f findings.Finding, n int) string {
	what := strings.ReplaceAll(f.Rule, "_", " ")
	who := f.Principal
	if who == "" {
		who = f.Kind
	}
	if n > 1 {
		return fmt.Sprintf("[NHI Radar] %s: %d identities of %s", what, n, f.Owner)
	}
	return fmt.Sprintf("[NHI Radar] %s: %s on %s", what, who, hostList(f.Hosts))
}

func hostList(hosts []string) string {
	switch len(hosts) {
	case 0:
		return "no host"
	case 1:
		return hosts[0]
	}
	return fmt.Sprintf("%s and %d more", hosts[0], len(hosts)-1)
}

// body says what to do, where, why and by when, in plain text every
// system renders.
func body(g []findings.Finding, due time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "What to do: %s\n", Remedy(g[0].Rule))
	fmt.Fprintf(&b, "Due: %s\n", due.Format("2006-01-02"))
	for _, f := range g {
		fmt.Fprintf(&b, "\nFinding %s (%s, %s)\n", f.FindingID, f.Rule, f.Severity)
		fmt.Fprintf(&b, "Identity: %s %s\n", f.Kind, f.Principal)
		fmt.Fprintf(&b, "Owner: %s\n", ownerLine(f))
		fmt.Fprintf(&b, "Where: %s\n", where(f))
		b.WriteString("Why:\n")
		for _, e := range f.Evidence {
			fmt.Fprintf(&b, "  - %s\n", e)
		}
		fmt.Fprintf(&b, "Controls: %s\n", strings.Join(f.Controls, ", "))
		fmt.Fprintf(&b, "Policy: %s\n", f.Policy)
	}
	b.WriteString("\nClosing this ticket is not the proof: NHI Radar checks the next full scans of the hosts and reopens it if the problem is still there.\n")
	return b.String()
}

func ownerLine(f findings.Finding) string {
	if f.Owner == "" {
		return "none"
	}
	return f.Owner + " (" + f.OwnerStatus + ")"
}

func where(f findings.Finding) string {
	parts := append([]string{}, f.Hosts...)
	if len(f.Locations) > 0 {
		parts = append(parts, "at "+strings.Join(f.Locations, ", "))
	}
	return strings.Join(parts, " ")
}

// remedies say what fixes each rule's finding.
var remedies = map[string]string{
	findings.Dormant:          "revoke or delete the credential if nothing uses it; if it is still needed, say who uses it, or ask for an exception with a reason and an approver.",
	findings.Ownerless:        "assign an owner: an owner rule in the policy (owners.rules) or an owner hint where the credential is kept.",
	findings.OwnerDeparted:    "its owner has left: their manager reassigns the credential to an active owner or revokes it.",
	findings.LongLived:        "rotate the credential: issue a new one, move its users to it, revoke the old one.",
	findings.Expired:          "remove the expired credential from the locations below, or replace it with a valid one.",
	findings.Expiring:         "renew or rotate the credential before it expires.",
	findings.Reused:           "issue one credential per workload and host, then revoke the shared one.",
	findings.CrossEnvironment: "use separate credentials per environment, then revoke the one shared across them.",
	findings.ExposedFile:      "restrict the file to the account that uses it (chmod 600, chown), then rotate the credential: others could read it.",
	findings.SecretInCmdline:  "move the secret off the command line into a credential file or the service manager's credential store (systemd LoadCredential=), then rotate it: every local user could read it.",
	findings.HumanUse:         "give the person their own account and stop interactive use of the service identity; rotate its credential.",
	findings.Overprivileged:   "reduce the account's privileges (sudo rule, group membership, uid 0) to what the service needs.",
}

// Remedy says what fixes a finding of rule.
func Remedy(rule string) string {
	if r, ok := remedies[rule]; ok {
		return r
	}
	return "review the identity and fix what the evidence shows."
}
