package detect

import (
	"strings"
	"time"

	"github.com/nhiradar/nhiradar/analytics/owners"
	"github.com/nhiradar/nhiradar/analytics/policy"
)

var now = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func daysAgo(n int) time.Time { return now.Add(-time.Duration(n) * 24 * time.Hour) }

// fakePolicy is a Decider with fixed answers: hosts named prod-* are
// production, stg-* staging; owners by nhi_id; a rule can be disabled or
// exempted.
type fakePolicy struct {
	owners   map[string]owners.Ownership
	disabled map[string]bool
	exempt   map[string]bool
}

func (f *fakePolicy) Environment(host string) string {
	switch {
	case strings.HasPrefix(host, "prod-"):
		return "production"
	case strings.HasPrefix(host, "stg-"):
		return "staging"
	}
	return ""
}

func (f *fakePolicy) Thresholds(id policy.Identity, host string) policy.Thresholds {
	return policy.Default().Thresholds(id, host)
}

func (f *fakePolicy) LongestDormantAfter() time.Duration {
	return policy.Default().LongestDormantAfter()
}

func (f *fakePolicy) Owner(id policy.Identity) owners.Ownership {
	if o, ok := f.owners[id.NHIID]; ok {
		return o
	}
	return owners.Ownership{Status: "none", Reason: "nothing matched"}
}

func (f *fakePolicy) Exempt(rule string, id policy.Identity, host string, now time.Time) policy.Exemption {
	if f.exempt[rule] {
		return policy.Exemption{Applies: true, Why: "approved by carol until 2027-01-01", Source: "p.yaml:9"}
	}
	return policy.Exemption{}
}

func (f *fakePolicy) Severity(rule string, id policy.Identity, host string) string { return "high" }

func (f *fakePolicy) Enabled(rule string, id policy.Identity, host string) bool {
	return !f.disabled[rule]
}

func (f *fakePolicy) Source(rule string) string { return "p.yaml:" + rule }

// ident is a present identity on hosts.
func ident(nhiID, kind string, hosts ...string) *Identity {
	return &Identity{NHIID: nhiID, Kind: kind, Principal: "p-" + nhiID, Secret: true, Hosts: hosts,
		PresentHosts: hosts, Locations: []string{"/srv/" + nhiID}, StillPresent: true, FirstSeen: StampOf(daysAgo(1))}
}

func envOf(p *fakePolicy, ids ...*Identity) *Env {
	if p == nil {
		p = &fakePolicy{}
	}
	return NewEnv(p, now, ids)
}

// ids returns "nhi_id@host" of each finding, in order.
func ids(fs []*Finding) []string {
	out := []string{}
	for _, f := range fs {
		s := f.NHIID
		if f.Host != "" {
			s += "@" + f.Host
		}
		out = append(out, s)
	}
	return out
}
