package store

import (
	"context"
	"fmt"
	"time"
)

// InventoryRow is one identity as nhi_inventory shows it.
type InventoryRow struct {
	NHIID       string
	Kind        string
	Principal   string
	Fingerprint string
	Hosts       []string
	Locations   []string
	Accounts    []string
	OwnerHints  []string
	FirstSeen   time.Time
	LastSeen    time.Time
	// ExpiresAt is zero (the Unix epoch) when no expiry is known.
	ExpiresAt time.Time
	// StillPresent is false once the latest complete scan of every host and
	// plugin that saw the identity no longer lists it.
	StillPresent bool
	PresentHosts []string
	// LastUsed is zero when no usage evidence names the identity.
	LastUsed     time.Time
	LastEvidence string
	LastSource   string
	LastActor    string
}

// Inventory returns every identity, ordered by kind and principal.
func (s *Store) Inventory(ctx context.Context) ([]InventoryRow, error) {
	q := `SELECT nhi_id, kind, principal, fingerprint, arraySort(hosts), arraySort(locations),
		arraySort(accounts), arraySort(owner_hints), first_seen, last_seen, expires_at,
		still_present, arraySort(present_hosts), last_used, last_evidence, last_source, last_actor
		FROM nhi_inventory ORDER BY kind, principal, nhi_id`
	rows, err := s.conn.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("store: inventory: %w", err)
	}
	defer rows.Close()
	var out []InventoryRow
	for rows.Next() {
		var r InventoryRow
		var present uint8
		if err := rows.Scan(&r.NHIID, &r.Kind, &r.Principal, &r.Fingerprint, &r.Hosts, &r.Locations,
			&r.Accounts, &r.OwnerHints, &r.FirstSeen, &r.LastSeen, &r.ExpiresAt,
			&present, &r.PresentHosts, &r.LastUsed, &r.LastEvidence, &r.LastSource, &r.LastActor); err != nil {
			return nil, fmt.Errorf("store: inventory row: %w", err)
		}
		r.StillPresent = present == 1
		out = append(out, r)
	}
	return out, rows.Err()
}
