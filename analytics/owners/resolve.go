package owners

import (
	"fmt"
	"strings"
)

// Values of Ownership.Status.
const (
	Active   = "active"
	Departed = "departed"
	None     = "none"
)

// Ownership says who owns an identity and why.
type Ownership struct {
	// Owner is a directory id, or empty.
	Owner string
	// Status is Active, Departed or None.
	Status string
	// Manager is the departed owner's nearest active manager, who receives
	// remediation; empty when the chain has none.
	Manager string
	// Reason names the rule (file:line), hint or file owner that decided.
	Reason string
}

// Facts are what the host says about who holds an identity.
type Facts struct {
	// Hints are the plugins' owner hints: "owner:alice", "email:a@x",
	// annotations ("Owner=alice", "X-Owner=alice", "nhiradar.io/owner=alice").
	Hints []string
	// FileOwners are the accounts owning the files that hold the identity.
	FileOwners []string
	// Accounts are the accounts that hold or run the identity.
	Accounts []string
	// Locations are the paths that hold the identity.
	Locations []string
}

// Rule is one owner rule of the policy: when Match holds for an identity,
// Owner owns it. Source is where the rule is written (file:line).
type Rule[T any] struct {
	Owner  string
	Source string
	Match  func(T) bool
}

// Resolve decides who owns id: rules first (first match wins), then the
// facts — owner hints, then the person whose account owns the file, holds
// the identity or whose home holds it. A system account (root, daemon, …)
// owns files on every host without being accountable for what is in them,
// so a root-owned file outside any home has no owner.
func Resolve[T any](d *Directory, rules []Rule[T], id T, f Facts) Ownership {
	for _, r := range rules {
		if r.Match(id) {
			return d.ownership(r.Owner, "owner rule at "+r.Source)
		}
	}
	for _, h := range f.Hints {
		if per, ok := d.Find(hintValue(h)); ok {
			return d.ownership(per.ID, fmt.Sprintf("owner hint %q", h))
		}
	}
	if o, ok := d.accountOwner("file owner", f.FileOwners); ok {
		return o
	}
	if o, ok := d.accountOwner("account", f.Accounts); ok {
		return o
	}
	for _, loc := range f.Locations {
		if acct := homeAccount(loc); acct != "" && !systemAccounts[acct] {
			if per, ok := d.byAccount(acct); ok {
				return d.ownership(per.ID, fmt.Sprintf("home directory of %q holds %s", acct, loc))
			}
		}
	}
	return Ownership{Status: None, Reason: "no owner rule, owner hint, file owner or home directory matched"}
}

func (d *Directory) accountOwner(what string, accounts []string) (Ownership, bool) {
	for _, acct := range accounts {
		if systemAccounts[acct] {
			continue
		}
		if per, ok := d.byAccount(acct); ok {
			return d.ownership(per.ID, fmt.Sprintf("%s %q", what, acct)), true
		}
	}
	return Ownership{}, false
}

func (d *Directory) ownership(id, reason string) Ownership {
	o := Ownership{Owner: id, Status: Active, Reason: reason}
	per, ok := d.Get(id)
	if !ok || per.Status != Departed {
		return o
	}
	o.Status = Departed
	var passed []string
	o.Manager, passed = d.remediator(per)
	switch {
	case len(passed) > 0 && o.Manager != "":
		o.Reason += fmt.Sprintf("; manager %s departed too, remediation goes up to %s", strings.Join(passed, ", then "), o.Manager)
	case len(passed) > 0:
		o.Reason += fmt.Sprintf("; manager %s departed too, no active manager above", strings.Join(passed, ", then "))
	}
	return o
}

// remediator walks up from a departed person to the nearest active manager;
// passed are the departed managers on the way. A loop in the chain ends it.
func (d *Directory) remediator(per *Person) (manager string, passed []string) {
	seen := map[string]bool{per.ID: true}
	for id := per.Manager; id != "" && !seen[id]; {
		seen[id] = true
		m, ok := d.Get(id)
		if !ok {
			return "", passed
		}
		if m.Status != Departed {
			return m.ID, passed
		}
		passed = append(passed, m.ID)
		id = m.Manager
	}
	return "", passed
}
