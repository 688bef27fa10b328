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
	FirstSeen   time.Time
	LastSeen    time.Time
}

// Inventory returns every identity, ordered by kind and principal.
func (s *Store) Inventory(ctx context.Context) ([]InventoryRow, error) {
	q := `SELECT nhi_id, kind, principal, fingerprint, arraySort(hosts), arraySort(locations), arraySort(accounts), first_seen, last_seen
		FROM ` + s.cfg.Database + `.nhi_inventory ORDER BY kind, principal, nhi_id`
	rows, err := s.conn.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("store: inventory: %w", err)
	}
	defer rows.Close()
	var out []InventoryRow
	for rows.Next() {
		var r InventoryRow
		if err := rows.Scan(&r.NHIID, &r.Kind, &r.Principal, &r.Fingerprint, &r.Hosts, &r.Locations, &r.Accounts, &r.FirstSeen, &r.LastSeen); err != nil {
			return nil, fmt.Errorf("store: inventory row: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
