package detect

import (
	"cmp"
	"context"
	"fmt"
	"iter"
	"slices"
	"strings"
	"time"

	"github.com/nhiradar/nhiradar/analytics/findings"
)

// accountUse is one actor's latest use of a service account on a host.
type accountUse struct {
	Host, NHIID, Account, Evidence, Actor string
	LastUsed                              time.Time
	Source                                string
}

func detectHumanUse(ctx context.Context, src Source, env *Env) (iter.Seq[*Finding], error) {
	facts, err := queryAccountUses(ctx, src, env.Now.Add(-env.Policy.LongestDormantAfter()))
	if err != nil {
		return nil, err
	}
	return evalHumanUse(env, facts), nil
}

// queryAccountUses reads the uses since since that may be a person's.
func queryAccountUses(ctx context.Context, src Source, since time.Time) ([]accountUse, error) {
	rows, err := src.query(ctx, "human_use.sql", since.UTC())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var facts []accountUse
	for rows.Next() {
		var u accountUse
		if err := rows.Scan(&u.Host, &u.NHIID, &u.Account, &u.Evidence, &u.Actor, &u.LastUsed, &u.Source); err != nil {
			return nil, fmt.Errorf("human_use row: %w", err)
		}
		u.LastUsed = u.LastUsed.UTC()
		facts = append(facts, u)
	}
	return facts, rows.Err()
}

// person decides whether an actor is a person. authlog reports an ssh
// login into a service account only when no key named it (a password or
// keyboard-interactive login: someone typed it), its actor being the
// source address. For su and sudo the actor is the account that ran it: a
// person unless it is root (init scripts and cron run as root) or another
// service account of the same host.
func (e *Env) person(u *accountUse, services map[hostName]bool) bool {
	if u.Evidence == "ssh_login" {
		return true
	}
	return u.Actor != "root" && u.Actor != u.Account && !services[hostName{u.Host, u.Actor}]
}

type hostName struct{ host, name string }

// serviceAccounts indexes, by host and name, the service accounts among
// the actors of facts: a fleet has hundreds of thousands of identities and
// a few hundred such actors.
func (e *Env) serviceAccounts(facts []accountUse) map[hostName]bool {
	actors := map[string]bool{}
	for i := range facts {
		if facts[i].Evidence != "ssh_login" {
			actors[facts[i].Actor] = true
		}
	}
	out := map[hostName]bool{}
	if len(actors) == 0 {
		return out
	}
	for _, id := range e.sorted() {
		if id.Kind == "os_service_account" && actors[id.Principal] {
			for _, h := range id.Hosts {
				out[hostName{h, id.Principal}] = true
			}
		}
	}
	return out
}

// evalHumanUse: a person used a service account on a host within the
// dormant window (OWASP NHI10); older uses have aged out. Ordered by host
// and account, each finding's uses are adjacent; by evidence and actor
// within, its sentences read the same in every run.
func evalHumanUse(env *Env, facts []accountUse) iter.Seq[*Finding] {
	return func(yield func(*Finding) bool) {
		slices.SortFunc(facts, func(a, b accountUse) int {
			return cmp.Or(strings.Compare(a.Host, b.Host), strings.Compare(a.NHIID, b.NHIID),
				strings.Compare(a.Evidence, b.Evidence), strings.Compare(a.Actor, b.Actor))
		})
		services := env.serviceAccounts(facts)
		var (
			ev   []string
			last *accountUse
		)
		flush := func() bool {
			if len(ev) == 0 {
				return true
			}
			f := env.emit(findings.HumanUse, env.Identities[last.NHIID], last.Host, nil, ev...)
			ev = nil
			return send(yield, f)
		}
		for i := range facts {
			u := &facts[i]
			if last != nil && (u.Host != last.Host || u.NHIID != last.NHIID) && !flush() {
				return
			}
			last = u
			id := env.present(u.NHIID, u.Host)
			if id == nil || !env.person(u, services) {
				continue
			}
			if env.Now.Sub(u.LastUsed) > env.Policy.Thresholds(id.Policy(), u.Host).DormantAfter {
				continue
			}
			ev = append(ev, humanSentence(u))
		}
		flush()
	}
}

func humanSentence(u *accountUse) string {
	at := u.LastUsed.UTC().Format(time.RFC3339)
	switch u.Evidence {
	case "ssh_login":
		return "interactive ssh login (no key) as " + u.Account + " on " + u.Host + " from " + u.Actor + ", last at " + at + " (source " + u.Source + ")"
	case "su":
		return u.Actor + " ran su to " + u.Account + " on " + u.Host + ", last at " + at + " (source " + u.Source + ")"
	}
	return u.Actor + " ran sudo as " + u.Account + " on " + u.Host + ", last at " + at + " (source " + u.Source + ")"
}
