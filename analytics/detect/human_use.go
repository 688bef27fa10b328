package detect

import (
	"context"
	"fmt"
	"iter"
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
func (e *Env) person(u accountUse, services map[string]bool) bool {
	if u.Evidence == "ssh_login" {
		return true
	}
	return u.Actor != "root" && u.Actor != u.Account && !services[u.Host+"\x00"+u.Actor]
}

// serviceAccounts indexes, by host and name, the service accounts among
// the actors of facts: a fleet has hundreds of thousands of identities and
// a few hundred such actors.
func (e *Env) serviceAccounts(facts []accountUse) map[string]bool {
	actors := map[string]bool{}
	for _, u := range facts {
		actors[u.Actor] = true
	}
	out := map[string]bool{}
	for _, id := range e.sorted() {
		if id.Kind == "os_service_account" && actors[id.Principal] {
			for _, h := range id.Hosts {
				out[h+"\x00"+id.Principal] = true
			}
		}
	}
	return out
}

// evalHumanUse: a person used a service account on a host within the
// dormant window (OWASP NHI10); older uses have aged out.
func evalHumanUse(env *Env, facts []accountUse) iter.Seq[*Finding] {
	return func(yield func(*Finding) bool) {
		services := env.serviceAccounts(facts)
		var order []string
		ev := map[string][]string{}
		for _, u := range facts {
			id := env.present(u.NHIID, u.Host)
			if id == nil || !env.person(u, services) {
				continue
			}
			if env.Now.Sub(u.LastUsed) > env.Policy.Thresholds(id.Policy(), u.Host).DormantAfter {
				continue
			}
			k := u.Host + "\x00" + u.NHIID
			if ev[k] == nil {
				order = append(order, k)
			}
			ev[k] = append(ev[k], humanSentence(u))
		}
		for _, k := range order {
			host, nhiID := splitKey(k)
			if !send(yield, env.emit(findings.HumanUse, env.Identities[nhiID], host, nil, ev[k]...)) {
				return
			}
		}
	}
}

func humanSentence(u accountUse) string {
	at := u.LastUsed.UTC().Format(time.RFC3339)
	switch u.Evidence {
	case "ssh_login":
		return fmt.Sprintf("interactive ssh login (no key) as %s on %s from %s, last at %s (source %s)", u.Account, u.Host, u.Actor, at, u.Source)
	case "su":
		return fmt.Sprintf("%s ran su to %s on %s, last at %s (source %s)", u.Actor, u.Account, u.Host, at, u.Source)
	}
	return fmt.Sprintf("%s ran sudo as %s on %s, last at %s (source %s)", u.Actor, u.Account, u.Host, at, u.Source)
}

func splitKey(k string) (string, string) {
	for i := 0; i < len(k); i++ {
		if k[i] == 0 {
			return k[:i], k[i+1:]
		}
	}
	return k, ""
}
