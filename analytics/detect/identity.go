package detect

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/nhiradar/nhiradar/analytics/owners"
	"github.com/nhiradar/nhiradar/analytics/policy"
)

// Identity is one identity of the inventory with its host-side age.
type Identity struct {
	NHIID, Kind, Principal, Fingerprint         string
	Hosts, Locations, Accounts, FileOwners      []string
	OwnerHints                                  []string
	FirstSeen, ExpiresAt, CreatedAt, ModifiedAt time.Time
	StillPresent                                bool
	PresentHosts                                []string
	LastUsed                                    time.Time
	LastEvidence, LastSource                    string

	own          *owners.Ownership
	unobservable string // UnobservableWhy's sentence, once built
	storedRules  uint16 // bit i: a stored unresolved finding of findings.Rules()[i] (Env.NoteStored)
}

// Policy is the identity as the policy sees it.
func (id *Identity) Policy() policy.Identity {
	return policy.Identity{NHIID: id.NHIID, Kind: id.Kind, Principal: id.Principal, Hosts: id.Hosts,
		Locations: id.Locations, Accounts: id.Accounts, FileOwners: id.FileOwners, OwnerHints: id.OwnerHints}
}

// owner resolves ownership once per identity and analysis.
func (id *Identity) owner(p policy.Decider) owners.Ownership {
	if id.own == nil {
		o := p.Owner(id.Policy())
		id.own = &o
	}
	return *id.own
}

// Age is the earliest credible host evidence of the identity's creation
// that any event reported: created_at (a JWT's iat, a certificate's
// notBefore, a file's ctime) or modified_at; zero when the host gave none.
// It is never first_seen: when the collector first heard of a key says
// nothing of when it was written.
func (id *Identity) Age() time.Time {
	return earliest(id.CreatedAt, id.ModifiedAt)
}

// Known is when the identity was first known by any evidence: its host
// age or, failing that, its first sighting.
func (id *Identity) Known() time.Time {
	return earliest(id.CreatedAt, id.ModifiedAt, id.FirstSeen)
}

func earliest(ts ...time.Time) time.Time {
	var out time.Time
	for _, t := range ts {
		if t.Unix() <= 0 {
			continue
		}
		if out.IsZero() || t.Before(out) {
			out = t.UTC()
		}
	}
	return out
}

func set(t time.Time) bool { return t.Unix() > 0 }

// LoadIdentities reads every identity with its age and presence. The two
// halves of the inventory (identity_facts, identity_presence) run as
// concurrent queries joined here: the server assembles both at once.
func LoadIdentities(ctx context.Context, src Source) ([]*Identity, error) {
	type presences struct {
		by  map[string]presence
		err error
	}
	done := make(chan presences, 1)
	go func() {
		by, err := loadPresence(ctx, src)
		done <- presences{by, err}
	}()
	ids, err := loadFacts(ctx, src)
	pr := <-done
	if err != nil {
		return nil, err
	}
	if pr.err != nil {
		return nil, pr.err
	}
	in := interner{}
	for _, id := range ids {
		p := pr.by[id.NHIID]
		id.StillPresent, id.PresentHosts = p.still, p.hosts
		in.identity(id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i].NHIID < ids[j].NHIID })
	return ids, nil
}

func loadFacts(ctx context.Context, src Source) ([]*Identity, error) {
	rows, err := src.query(ctx, "identities.sql")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Identity
	for rows.Next() {
		id := &Identity{}
		if err := rows.Scan(&id.NHIID, &id.Kind, &id.Principal, &id.Fingerprint, &id.Hosts, &id.Locations,
			&id.Accounts, &id.FileOwners, &id.OwnerHints, &id.FirstSeen, &id.ExpiresAt,
			&id.LastUsed, &id.LastEvidence, &id.LastSource, &id.CreatedAt, &id.ModifiedAt); err != nil {
			return nil, fmt.Errorf("detect: identity row: %w", err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("detect: identities: %w", err)
	}
	return out, nil
}

// presence is where the latest complete full scans list an identity.
type presence struct {
	still bool
	hosts []string
}

func loadPresence(ctx context.Context, src Source) (map[string]presence, error) {
	rows, err := src.query(ctx, "presence.sql")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]presence{}
	for rows.Next() {
		var (
			id    string
			still uint8
			p     presence
		)
		if err := rows.Scan(&id, &still, &p.hosts); err != nil {
			return nil, fmt.Errorf("detect: presence row: %w", err)
		}
		p.still = still == 1
		out[id] = p
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("detect: presence: %w", err)
	}
	return out, nil
}

// interner keeps one copy of each string identities repeat: a fleet of
// 200,000 identities has a few thousand hosts, kinds, accounts and hints,
// and the driver hands every row its own copies.
type interner map[string]string

func (in interner) one(s string) string {
	if v, ok := in[s]; ok {
		return v
	}
	in[s] = s
	return s
}

func (in interner) all(ss []string) []string {
	for i, s := range ss {
		ss[i] = in.one(s)
	}
	return ss
}

func (in interner) identity(id *Identity) {
	id.Kind, id.LastEvidence, id.LastSource = in.one(id.Kind), in.one(id.LastEvidence), in.one(id.LastSource)
	in.all(id.Hosts)
	in.all(id.Locations)
	in.all(id.Accounts)
	in.all(id.FileOwners)
	in.all(id.OwnerHints)
	if slices.Equal(id.Hosts, id.PresentHosts) {
		id.PresentHosts = id.Hosts
	} else {
		in.all(id.PresentHosts)
	}
}
