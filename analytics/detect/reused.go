package detect

import (
	"context"
	"fmt"
	"iter"
	"strings"

	"github.com/nhiradar/nhiradar/analytics/findings"
)

// spread is a secret and the hosts it is present on.
type spread struct {
	NHIID string
	Hosts []string
}

// spreads lists the secrets (identities keyed by their fingerprint, so one
// secret anywhere is one identity) still present on more than one host,
// from the inventory the analysis already holds: its hosts are exactly
// what a query of identity_state would return again.
func (e *Env) spreads() []spread {
	var out []spread
	for _, id := range e.sorted() {
		if id.StillPresent && id.Secret && len(id.PresentHosts) > 1 {
			out = append(out, spread{NHIID: id.NHIID, Hosts: id.PresentHosts})
		}
	}
	return out
}

// presentOn narrows a spread to the hosts the identity is still present on.
func (e *Env) presentOn(s spread) (*Identity, []string) {
	id := e.present(s.NHIID, "")
	if id == nil {
		return nil, nil
	}
	var hosts []string
	for _, h := range s.Hosts {
		if contains(id.PresentHosts, h) {
			hosts = append(hosts, h)
		}
	}
	return id, hosts
}

func detectReused(_ context.Context, _ Source, env *Env) (iter.Seq[*Finding], error) {
	return evalReused(env, env.spreads()), nil
}

// evalReused: the same secret on more hosts than ReuseMaxHosts (default 1:
// one secret per workload). Where hosts are in different environments the
// strictest threshold applies.
func evalReused(env *Env, facts []spread) iter.Seq[*Finding] {
	return func(yield func(*Finding) bool) {
		for _, s := range facts {
			id, hosts := env.presentOn(s)
			if id == nil {
				continue
			}
			max := -1
			for _, h := range hosts {
				if m := env.Policy.Thresholds(id.Policy(), h).ReuseMaxHosts; max < 0 || m < max {
					max = m
				}
			}
			if len(hosts) <= max {
				continue
			}
			if !send(yield, env.emit(findings.Reused, id, "", nil,
				fmt.Sprintf("the same secret (matched by keyed fingerprint, not shown) is present on %d hosts: %s (policy: at most %d)",
					len(hosts), strings.Join(hosts, ", "), max))) {
				return
			}
		}
	}
}
