package processes

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// accountUse collects, per service account, the processes running as it:
// a running process is use of the account right now, which is what tells
// a dormant service account from a busy one.
type accountUse struct {
	service map[string]bool
	procs   map[string][]proc
}

func newAccountUse(service map[string]bool) *accountUse {
	return &accountUse{service: service, procs: map[string][]proc{}}
}

func (a *accountUse) add(p proc) {
	if p.user != "" && a.service[p.user] {
		a.procs[p.user] = append(a.procs[p.user], p)
	}
}

// events returns one process usage event per service account with running
// processes, naming the executables (at most five) and how many run.
func (a *accountUse) events(now time.Time) []*event.Event {
	users := make([]string, 0, len(a.procs))
	for u := range a.procs {
		users = append(users, u)
	}
	sort.Strings(users)
	out := make([]*event.Event, 0, len(users))
	for _, u := range users {
		ps := a.procs[u]
		var exes []string
		seen := map[string]bool{}
		for _, p := range ps {
			if x := strings.TrimPrefix(p.location(), "process:"); !seen[x] && len(exes) < 5 {
				seen[x] = true
				exes = append(exes, x)
			}
		}
		used := now
		out = append(out, &event.Event{
			Type: event.TypeUsageEvidence, Plugin: Name, Kind: event.KindOSServiceAccount, Principal: u,
			Evidence: event.EvidenceProcess, Source: "/proc/" + strconv.Itoa(int(ps[0].pid)), UsedAt: &used,
			Account: u, Attrs: map[string]string{"processes": strconv.Itoa(len(ps)), "executables": strings.Join(exes, ",")},
		})
	}
	return out
}
