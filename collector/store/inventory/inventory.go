// Package inventory is the read model the collector maintains from events:
// the identities of nhi_inventory and whether fresh complete scans of the
// hosts arrived (scan_state), what analysts, nhictl and ticket
// verification read. It only reads; events are written by eventdb.
package inventory

import (
	"context"
	"fmt"
	"time"

	"github.com/nhiradar/nhiradar/collector/store"
)

// Reader reads a store's inventory.
type Reader struct{ st *store.Store }

// New returns the reader of st's inventory.
func New(st *store.Store) *Reader { return &Reader{st: st} }

// Row is one identity as nhi_inventory shows it.
type Row struct {
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

// Rows returns every identity, ordered by kind and principal.
func (r *Reader) Rows(ctx context.Context) ([]Row, error) {
	q := `SELECT nhi_id, kind, principal, fingerprint, arraySort(hosts), arraySort(locations),
		arraySort(accounts), arraySort(owner_hints), first_seen, last_seen, expires_at,
		still_present, arraySort(present_hosts), last_used, last_evidence, last_source, last_actor
		FROM nhi_inventory ORDER BY kind, principal, nhi_id`
	rows, err := r.st.Conn().Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("inventory: %w", err)
	}
	defer rows.Close()
	var out []Row
	for rows.Next() {
		var i Row
		var present uint8
		if err := rows.Scan(&i.NHIID, &i.Kind, &i.Principal, &i.Fingerprint, &i.Hosts, &i.Locations,
			&i.Accounts, &i.OwnerHints, &i.FirstSeen, &i.LastSeen, &i.ExpiresAt,
			&present, &i.PresentHosts, &i.LastUsed, &i.LastEvidence, &i.LastSource, &i.LastActor); err != nil {
			return nil, fmt.Errorf("inventory row: %w", err)
		}
		i.StillPresent = present == 1
		out = append(out, i)
	}
	return out, rows.Err()
}

// FreshScans reports, for each host, whether a complete full scan by every
// plugin that reports identities there started after since: the scans a
// closed ticket waits for before its findings count as verified.
func (r *Reader) FreshScans(ctx context.Context, hosts []string, since time.Time) (map[string]bool, error) {
	q := `SELECT host, min(latest) > ? AS fresh FROM (
		SELECT host, plugin, max(started) AS latest FROM (
			SELECT host, plugin, scan_id, maxMerge(started_at) AS started, maxMerge(full) AS full,
				maxMerge(parts) AS parts, length(groupUniqArrayMerge(parts_seen)) AS got
			FROM ` + r.st.Table("scan_state") + `
			WHERE has(?, host)
			GROUP BY host, plugin, scan_id
		) WHERE full = 1 AND got >= parts
		GROUP BY host, plugin
	) GROUP BY host`
	rows, err := r.st.Conn().Query(ctx, q, since, hosts)
	if err != nil {
		return nil, fmt.Errorf("inventory: fresh scans: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for _, h := range hosts {
		out[h] = false
	}
	for rows.Next() {
		var h string
		var fresh uint8
		if err := rows.Scan(&h, &fresh); err != nil {
			return nil, fmt.Errorf("inventory: fresh scans: %w", err)
		}
		out[h] = fresh == 1
	}
	return out, rows.Err()
}
