package authlog

import (
	"sort"

	"github.com/nhiradar/nhiradar/plugins/builtin/internal/secretrules"

	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// aggregator keeps the latest use per identity, account and actor, so that
// a key used a thousand times is one event with the time it was last used.
type aggregator struct {
	service map[string]bool
	latest  map[aggKey]*event.Event
}

type aggKey struct {
	evidence  event.Evidence
	kind      event.Kind
	principal string
	account   string
	actor     string
}

func newAggregator(service map[string]bool) *aggregator {
	return &aggregator{service: service, latest: map[aggKey]*event.Event{}}
}

// add records a use. A publickey login names the key; any other login, su
// or sudo counts only when the target is a service account: a person
// logging in or becoming root is not the use of a non-human identity.
func (a *aggregator) add(u Use, source string) {
	e := &event.Event{Type: event.TypeUsageEvidence, Plugin: Name, Evidence: event.Evidence(u.Evidence), Account: u.Account, Actor: u.Actor, Source: source}
	switch {
	case u.KeyFingerprint != "":
		e.Kind, e.Principal = event.KindSSHAuthorizedKey, u.KeyFingerprint
		e.Attrs = map[string]string{"method": u.Method, "key_type": u.KeyType}
	case a.service[u.Account]:
		e.Kind, e.Principal = event.KindOSServiceAccount, u.Account
		if u.Method != "" {
			e.Attrs = map[string]string{"method": u.Method}
			if u.Evidence == "sudo" {
				// A logged command line may carry a password: redact it.
				e.Attrs = map[string]string{"command": secretrules.Redact(u.Method)}
			}
		}
	default:
		return
	}
	when := u.When
	e.UsedAt = &when
	k := aggKey{e.Evidence, e.Kind, e.Principal, e.Account, e.Actor}
	if old, ok := a.latest[k]; ok && !when.After(*old.UsedAt) {
		return
	}
	a.latest[k] = e
}

// events returns the latest use of each, in a stable order.
func (a *aggregator) events() []*event.Event {
	out := make([]*event.Event, 0, len(a.latest))
	for _, e := range a.latest {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool {
		x, y := out[i], out[j]
		if !x.UsedAt.Equal(*y.UsedAt) {
			return x.UsedAt.Before(*y.UsedAt)
		}
		return x.Principal+x.Actor < y.Principal+y.Actor
	})
	return out
}
