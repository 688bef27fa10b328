package policy

import (
	"fmt"
	"net/url"
	"sort"
)

var ticketSystems = map[string]bool{"local": true, "rt": true, "servicenow": true, "jira": true, "webhook": true}

func (b *builder) ticketing(raw *located[Ticketing]) {
	if raw == nil {
		return
	}
	t := raw.V
	if t.System == "" {
		t.System = "local"
	}
	if !ticketSystems[t.System] {
		b.fail("ticketing.system", fmt.Sprintf("must be local, rt, servicenow, jira or webhook but got %q", t.System))
	}
	b.ticketURL(t)
	for _, sev := range sortedKeys(t.Priority) {
		key := "ticketing.priority." + sev
		if !severities[sev] {
			b.fail(key, "not a severity (critical, high, medium, low)")
		} else if t.Priority[sev] == "" {
			b.fail(key, "must not be empty")
		}
	}
	for _, sev := range sortedKeys(t.DueDays) {
		key := "ticketing.due_days." + sev
		if !severities[sev] {
			b.fail(key, "not a severity (critical, high, medium, low)")
		} else if t.DueDays[sev] <= 0 {
			b.fail(key, fmt.Sprintf("must be greater than 0 but got %d", t.DueDays[sev]))
		}
	}
	for _, owner := range sortedKeys(t.QueueByOwner) {
		if !b.knownID(owner) {
			b.fail("ticketing.queue_by_owner."+owner, b.unknownOwner(owner))
		}
	}
	for _, env := range sortedKeys(t.QueueByEnvironment) {
		if !b.hasEnv(env) {
			b.fail("ticketing.queue_by_environment."+env, fmt.Sprintf("unknown environment %q (not under environments)", env))
		}
	}
	for _, sev := range sortedKeys(t.QueueBySeverity) {
		if !severities[sev] {
			b.fail("ticketing.queue_by_severity."+sev, "not a severity (critical, high, medium, low)")
		}
	}
	switch t.NoResponse {
	case "":
		t.NoResponse = "no_response"
	case "no_response", "revoke":
	default:
		b.fail("ticketing.no_response", fmt.Sprintf("must be no_response or revoke but got %q", t.NoResponse))
	}
	b.p.Ticketing = t
}

// ticketURL: local keeps tickets in the collector; every other system needs somewhere to send them.
func (b *builder) ticketURL(t Ticketing) {
	if t.System == "local" {
		if t.URL != "" {
			b.fail("ticketing.url", "local tickets are kept by the collector; url is for the other systems")
		}
		return
	}
	if t.URL == "" {
		if ticketSystems[t.System] {
			b.fail("ticketing.url", fmt.Sprintf("is required for system %s", t.System))
		}
		return
	}
	u, err := url.Parse(t.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		b.fail("ticketing.url", fmt.Sprintf("%q is not an http(s) URL", t.URL))
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
