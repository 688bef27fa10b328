package store

import (
	"context"
	"fmt"
	"time"

	"github.com/nhiradar/nhiradar/analytics/findings"
)

// views exist on every node and already read the Distributed tables.
var views = map[string]bool{"nhi_inventory": true, "agents": true}

// Table names a table for reading and writing: on a cluster the Distributed
// table over every shard's local one (a view is its own name everywhere).
func (s *Store) Table(name string) string {
	if views[name] {
		return s.cfg.Database + "." + name
	}
	return s.cfg.Database + "." + name + distSuffix(s.cfg.Cluster)
}

const findingColumns = `finding_id, rule, severity, state, nhi_id, kind, principal, hosts, locations,
	owner, owner_status, first_detected, last_detected, resolved_at, evidence, controls, policy`

// Findings returns the current row of every finding (FINAL: the highest
// version of each finding_id), ordered by finding_id.
func (s *Store) Findings(ctx context.Context) ([]findings.Finding, error) {
	rows, err := s.conn.Query(ctx, "SELECT "+findingColumns+" FROM "+s.Table("findings")+" FINAL ORDER BY finding_id")
	if err != nil {
		return nil, fmt.Errorf("store: read findings: %w", err)
	}
	defer rows.Close()
	var out []findings.Finding
	for rows.Next() {
		var f findings.Finding
		if err := rows.Scan(&f.FindingID, &f.Rule, &f.Severity, &f.State, &f.NHIID, &f.Kind, &f.Principal,
			&f.Hosts, &f.Locations, &f.Owner, &f.OwnerStatus, &f.FirstDetected, &f.LastDetected, &f.ResolvedAt,
			&f.Evidence, &f.Controls, &f.Policy); err != nil {
			return nil, fmt.Errorf("store: finding row: %w", err)
		}
		f.FirstDetected, f.LastDetected = f.FirstDetected.UTC(), f.LastDetected.UTC()
		f.ResolvedAt = zeroEpoch(f.ResolvedAt)
		out = append(out, f)
	}
	return out, rows.Err()
}

// zeroEpoch maps ClickHouse's zero DateTime (the Unix epoch) back to Go's zero time.
func zeroEpoch(t time.Time) time.Time {
	if t.Unix() <= 0 {
		return time.Time{}
	}
	return t.UTC()
}

func epochZero(t time.Time) time.Time {
	if t.IsZero() {
		return time.Unix(0, 0).UTC()
	}
	return t
}

// WriteFindings stores new rows of findings at version (later versions
// replace earlier ones) and appends their transitions, tagged with the
// analysis that made them.
func (s *Store) WriteFindings(ctx context.Context, version uint64, fs []findings.Finding, ts []findings.Transition, analysisID string) error {
	if len(fs) > 0 {
		b, err := s.conn.PrepareBatch(ctx, "INSERT INTO "+s.Table("findings")+" (version, "+findingColumns+")")
		if err != nil {
			return fmt.Errorf("store: prepare findings insert: %w", err)
		}
		for _, f := range fs {
			if err := b.Append(version, f.FindingID, f.Rule, f.Severity, f.State, f.NHIID, f.Kind, f.Principal,
				orEmpty(f.Hosts), orEmpty(f.Locations), f.Owner, f.OwnerStatus, epochZero(f.FirstDetected),
				epochZero(f.LastDetected), epochZero(f.ResolvedAt), orEmpty(f.Evidence), orEmpty(f.Controls), f.Policy); err != nil {
				return fmt.Errorf("store: finding %s: %w", f.FindingID, err)
			}
		}
		if err := b.Send(); err != nil {
			return fmt.Errorf("store: insert %d findings: %w", len(fs), err)
		}
	}
	if len(ts) == 0 {
		return nil
	}
	b, err := s.conn.PrepareBatch(ctx, "INSERT INTO "+s.Table("finding_events")+" (finding_id, from_state, to_state, at, why, by, analysis_id)")
	if err != nil {
		return fmt.Errorf("store: prepare finding_events insert: %w", err)
	}
	for _, t := range ts {
		if err := b.Append(t.FindingID, t.From, t.To, t.At, t.Why, t.By, analysisID); err != nil {
			return fmt.Errorf("store: transition of %s: %w", t.FindingID, err)
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("store: insert %d transitions: %w", len(ts), err)
	}
	return nil
}

// FindingEvents returns every recorded transition of one finding, oldest first.
func (s *Store) FindingEvents(ctx context.Context, findingID string) ([]findings.Transition, error) {
	rows, err := s.conn.Query(ctx, "SELECT finding_id, from_state, to_state, at, why, by FROM "+s.Table("finding_events")+
		" WHERE finding_id = ? ORDER BY at, from_state = '' DESC", findingID)
	if err != nil {
		return nil, fmt.Errorf("store: read transitions of %s: %w", findingID, err)
	}
	defer rows.Close()
	var out []findings.Transition
	for rows.Next() {
		var t findings.Transition
		if err := rows.Scan(&t.FindingID, &t.From, &t.To, &t.At, &t.Why, &t.By); err != nil {
			return nil, fmt.Errorf("store: transition row: %w", err)
		}
		t.At = t.At.UTC()
		out = append(out, t)
	}
	return out, rows.Err()
}
