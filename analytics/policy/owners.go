package policy

import "github.com/nhiradar/nhiradar/analytics/owners"

// Owner resolves ownership: owner rules first (first match wins), then what
// the host says (see owners.Resolve).
func (p *Policy) Owner(id Identity) owners.Ownership {
	return owners.Resolve(p.Directory, p.ownerRules, id, owners.Facts{Hints: id.OwnerHints,
		FileOwners: id.FileOwners, Accounts: id.Accounts, Locations: id.Locations})
}
