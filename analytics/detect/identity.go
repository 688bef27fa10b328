package detect

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nhiradar/nhiradar/analytics/owners"
	"github.com/nhiradar/nhiradar/analytics/policy"
)

// Identity is one identity of the inventory with its host-side age. An
// analysis holds a fleet's worth (200,000 and more) for its whole run, so
// it is kept small: times are Stamps, repeated strings are shared, and a
// secret's fingerprint is only known to be there.
type Identity struct {
	NHIID, Kind, Principal                      string
	Hosts, Locations, Accounts, FileOwners      []string
	OwnerHints                                  []string
	FirstSeen, ExpiresAt, CreatedAt, ModifiedAt Stamp
	LastUsed                                    Stamp
	PresentHosts                                []string
	LastEvidence, LastSource                    string
	StillPresent                                bool
	// Secret: the identity is a secret (it has a keyed fingerprint), not
	// an account or a public key.
	Secret bool

	storedRules uint16 // bit i: a stored unresolved finding of findings.Rules()[i] (Env.NoteStored)
	own         *owners.Ownership
	limits      *policy.Thresholds // its thresholds, shared (Env.thresholds)
	covered     *usageSource       // the usage source that covers its use (dormant)
	unobserved  Stamp              // the start of the window no usage source covers; 0 when one does
	why         *string            // the sentence saying so, shared (Env.UnobservableOf)
}

// Stamp is a time in Unix seconds, 0 when unset: a third of a time.Time,
// which an identity holds five of. Its methods compare with time.Time as
// time.Time's own do.
type Stamp int64

// StampOf is t as a Stamp; the zero time and the Unix epoch (ClickHouse's
// zero DateTime) are unset.
func StampOf(t time.Time) Stamp {
	if t.Unix() <= 0 {
		return 0
	}
	return Stamp(t.Unix())
}

// Time is the stamp as a UTC time, the zero time when unset.
func (s Stamp) Time() time.Time {
	if s <= 0 {
		return time.Time{}
	}
	return time.Unix(int64(s), 0).UTC()
}

func (s Stamp) After(t time.Time) bool        { return s.Time().After(t) }
func (s Stamp) Before(t time.Time) bool       { return s.Time().Before(t) }
func (s Stamp) Equal(t time.Time) bool        { return s.Time().Equal(t) }
func (s Stamp) Sub(t time.Time) time.Duration { return s.Time().Sub(t) }
func (s Stamp) String() string                { return s.Time().Format(time.RFC3339) }

// Policy is the identity as the policy sees it.
func (id *Identity) Policy() policy.Identity {
	return policy.Identity{NHIID: id.NHIID, Kind: id.Kind, Principal: id.Principal, Hosts: id.Hosts,
		Locations: id.Locations, Accounts: id.Accounts, FileOwners: id.FileOwners, OwnerHints: id.OwnerHints}
}

// owner resolves ownership once per identity and analysis; identities
// with the same answer share one copy (Env.owner).
func (id *Identity) owner(e *Env) owners.Ownership {
	if id.own == nil {
		id.own = e.shared(e.Policy.Owner(id.Policy()))
	}
	return *id.own
}

// thresholds are the policy's thresholds for id on its first host,
// decided once per identity and analysis; the identities of one kind
// whose first host is the same share one copy.
func (e *Env) thresholds(id *Identity) policy.Thresholds {
	if id.limits == nil {
		k := hostKind{id.firstHost(), id.Kind} // all Thresholds depends on
		p := e.limits[k]
		if p == nil {
			t := e.Policy.Thresholds(id.Policy(), k.host)
			p = &t
			e.limits[k] = p
		}
		id.limits = p
	}
	return *id.limits
}

type hostKind struct{ host, kind string }

// Age is the earliest credible host evidence of the identity's creation
// that any event reported: created_at (a JWT's iat, a certificate's
// notBefore, a file's ctime) or modified_at; zero when the host gave none.
// It is never first_seen: when the collector first heard of a key says
// nothing of when it was written.
func (id *Identity) Age() time.Time { return id.ageStamp().Time() }

func (id *Identity) ageStamp() Stamp {
	a, b := id.CreatedAt, id.ModifiedAt
	if !a.set() || (b.set() && b < a) {
		a = b
	}
	return a
}

// Known is when the identity was first known by any evidence: its host
// age or, failing that, its first sighting.
func (id *Identity) Known() time.Time {
	return earliest(id.CreatedAt.Time(), id.ModifiedAt.Time(), id.FirstSeen.Time())
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

func (s Stamp) set() bool { return s > 0 }

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
	blocks, err := loadFacts(ctx, src)
	pr := <-done
	if err != nil {
		return nil, err
	}
	if pr.err != nil {
		return nil, pr.err
	}
	ids := blocks.sorted()
	for _, id := range ids {
		p := pr.by[id.NHIID]
		id.StillPresent, id.PresentHosts = p.still, p.hosts
		if slices.Equal(id.Hosts, id.PresentHosts) {
			id.PresentHosts = id.Hosts
		}
	}
	return ids, nil
}

func loadFacts(ctx context.Context, src Source) (*identityBlocks, error) {
	rows, err := src.query(ctx, "identities.sql")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var (
		out                                   = &identityBlocks{}
		in                                    = newInterner()
		secret                                uint8
		first, expires, used, created, modded time.Time
		row                                   Identity
		// One list of destinations for every row (a list per row was an
		// allocation a row); each row is copied out of row.
		dest = []any{&row.NHIID, &row.Kind, &row.Principal, &secret, &row.Hosts, &row.Locations,
			&row.Accounts, &row.FileOwners, &row.OwnerHints, &first, &expires,
			&used, &row.LastEvidence, &row.LastSource, &created, &modded}
	)
	for rows.Next() {
		row = Identity{}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("detect: identity row: %w", err)
		}
		id := out.next()
		*id = row
		id.Secret = secret == 1
		id.FirstSeen, id.ExpiresAt, id.LastUsed = StampOf(first), StampOf(expires), StampOf(used)
		id.CreatedAt, id.ModifiedAt = StampOf(created), StampOf(modded)
		in.identity(id) // as it arrives: the driver's copies go at once
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
	in := newInterner()
	var (
		id    string
		still uint8
		hosts []string
		dest  = []any{&id, &still, &hosts}
	)
	for rows.Next() {
		hosts = nil
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("detect: presence row: %w", err)
		}
		p := presence{still: still == 1, hosts: hosts}
		p.hosts = in.all(p.hosts)
		out[id] = p
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("detect: presence: %w", err)
	}
	return out, nil
}

// interner keeps one copy of each string identities repeat, and of each
// list: a fleet of 200,000 identities has a few thousand hosts, kinds,
// accounts and hints, most identities share their host, account and hint
// lists with others, and the driver hands every row its own copies. The
// lists are shared read-only.
type interner struct {
	strs  map[string]string
	lists map[string][]string // by listKey
	ones  map[string][]string // one-element lists, by the element
	key   []byte
}

// none is every empty list.
var none = []string{}

func newInterner() *interner {
	return &interner{strs: map[string]string{}, lists: map[string][]string{}, ones: map[string][]string{}}
}

func (in *interner) one(s string) string {
	if v, ok := in.strs[s]; ok {
		return v
	}
	in.strs[s] = s
	return s
}

// all returns the one copy of the list ss (its strings interned too).
func (in *interner) all(ss []string) []string {
	switch len(ss) {
	case 0:
		return none
	case 1:
		if v, ok := in.ones[ss[0]]; ok {
			return v
		}
		ss[0] = in.one(ss[0])
		ss = slices.Clip(ss)
		in.ones[ss[0]] = ss
		return ss
	}
	// Each element length-prefixed: a hostile host's strings may hold any byte.
	in.key = in.key[:0]
	for _, s := range ss {
		in.key = append(binary.AppendUvarint(in.key, uint64(len(s))), s...)
	}
	if v, ok := in.lists[string(in.key)]; ok {
		return v
	}
	for i, s := range ss {
		ss[i] = in.one(s)
	}
	ss = slices.Clip(ss)
	in.lists[string(in.key)] = ss
	return ss
}

func (in *interner) identity(id *Identity) {
	id.Kind, id.LastEvidence, id.LastSource = in.one(id.Kind), in.one(id.LastEvidence), in.one(id.LastSource)
	id.Hosts, id.Locations, id.Accounts = in.all(id.Hosts), in.all(id.Locations), in.all(id.Accounts)
	id.FileOwners, id.OwnerHints = in.all(id.FileOwners), in.all(id.OwnerHints)
}

// identityBlocks holds a fleet's identities by value, in blocks: every rule
// walks them all in nhi_id order, and walking them in memory order instead
// of chasing a pointer to each one's own allocation took a third of the
// time of the rules that decide over every identity.
type identityBlocks struct {
	blocks [][]Identity
	n      int
}

// identityBlock is how many identities one block holds: at most one block
// (about 300 KB) is left partly empty.
const identityBlock = 1024

func (b *identityBlocks) next() *Identity {
	if b.n%identityBlock == 0 {
		b.blocks = append(b.blocks, make([]Identity, identityBlock))
	}
	id := &b.blocks[b.n/identityBlock][b.n%identityBlock]
	b.n++
	return id
}

func (b *identityBlocks) at(i int) *Identity { return &b.blocks[i/identityBlock][i%identityBlock] }

// sorted moves the identities into nhi_id order in place (a second copy of
// the fleet would have raised the analysis's peak memory by its size) and
// lists them in that order.
func (b *identityBlocks) sorted() []*Identity {
	// Sorting the ids beside their places compares strings held in one
	// array; sorting the identities themselves reached into each.
	type keyed struct {
		nhiID string
		at    int
	}
	perm := make([]keyed, b.n) // once sorted, perm[i].at is the identity that belongs at i
	for i := range perm {
		perm[i] = keyed{b.at(i).NHIID, i}
	}
	slices.SortFunc(perm, func(x, y keyed) int { return strings.Compare(x.nhiID, y.nhiID) })
	for i := range perm {
		if perm[i].at == i {
			continue
		}
		held, j := *b.at(i), i // follow the cycle through i, moving each into place
		for {
			k := perm[j].at
			perm[j].at = j
			if k == i {
				*b.at(j) = held
				break
			}
			*b.at(j) = *b.at(k)
			j = k
		}
	}
	out := make([]*Identity, b.n)
	for i := range out {
		out[i] = b.at(i)
	}
	return out
}
