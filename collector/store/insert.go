package store

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// eventColumns lists the columns InsertEvents writes, in order. INSERTs name
// their columns explicitly: ClickHouse 18.16 requires it of the native
// protocol, and it keeps old collectors working after a column is added.
const eventColumns = `event_id, type, schema_version, agent_id, host, time, plugin, scan_id,
	nhi_id, kind, principal, fingerprint, location, key, file_owner, file_mode, account,
	modified_at, created_at, expires_at, owner_hints, attr_keys, attr_values,
	evidence, source, used_at, actor,
	scan_full, scan_started_at, scan_seen, scan_part, scan_parts, scan_errors, scan_unreadable,
	scan_coverage_source, scan_coverage_evidence, scan_coverage_from, scan_coverage_to, heartbeat`

// EventColumns returns the columns of events that InsertEvents writes, in
// the order of EventRow's values.
func EventColumns() []string {
	cols := strings.Split(eventColumns, ",")
	for i, c := range cols {
		cols[i] = strings.TrimSpace(c)
	}
	return cols
}

// EventRow returns the values InsertEvents writes for e, in EventColumns
// order (used by the benchmark to feed clickhouse-client the same rows).
func EventRow(e *event.Event) ([]any, error) { return eventRow(e) }

// InsertEvents writes a batch of valid events in one INSERT. Either the
// whole batch is stored or an error is returned and the caller retries it;
// a retried batch is harmless because events are keyed by event_id.
func (s *Store) InsertEvents(ctx context.Context, events []*event.Event) error {
	p, err := s.Prepare(events)
	if err != nil {
		return err
	}
	return p.Insert(ctx)
}

func eventRow(e *event.Event) ([]any, error) {
	keys, values := attrs(e.Attrs)
	hints := e.OwnerHints
	if hints == nil {
		hints = []string{}
	}
	var hb string
	if e.Heartbeat != nil {
		b, err := json.Marshal(e.Heartbeat)
		if err != nil {
			return nil, fmt.Errorf("store: heartbeat of event %s: %w", e.EventID, err)
		}
		hb = string(b)
	}
	s := e.Scan
	if s == nil {
		s = &event.Scan{}
	}
	seen, unreadable := s.Seen, s.Unreadable
	if seen == nil {
		seen = []string{}
	}
	if unreadable == nil {
		unreadable = []string{}
	}
	cs, ce, cf, ct := coverageColumns(s.Coverage)
	return []any{
		e.EventID, string(e.Type), uint8(e.SchemaVersion), e.AgentID, e.Host, e.Time, e.Plugin, e.ScanID,
		identityOf(e), string(e.Kind), e.Principal, e.Fingerprint, e.Location, e.Key, e.FileOwner, e.FileMode, e.Account,
		orZero(e.ModifiedAt), orZero(e.CreatedAt), orZero(e.ExpiresAt), hints, keys, values,
		string(e.Evidence), e.Source, orZero(e.UsedAt), e.Actor,
		boolByte(s.Full), orZero(&s.StartedAt), seen, uint16(s.Part), uint16(s.Parts), uint32(s.Errors), unreadable, cs, ce, cf, ct, hb,
	}, nil
}

// identityOf returns the event's identity key. Usage evidence that names a
// fingerprint or a kind but no key gets the key the observation of the same
// identity carries, so that the inventory joins the two on nhi_id.
func identityOf(e *event.Event) string {
	if e.NHIID != "" || e.Type != event.TypeUsageEvidence {
		return e.NHIID
	}
	if e.Fingerprint != "" || (e.Kind != "" && e.Principal != "") {
		return event.IdentityKey(e.Kind, e.Principal, e.Fingerprint, e.Host)
	}
	return ""
}

func attrs(m map[string]string) (keys, values []string) {
	keys = make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	values = make([]string, len(keys))
	for i, k := range keys {
		values[i] = m[k]
	}
	return keys, values
}

// orZero maps a missing time to the Unix epoch, ClickHouse's zero DateTime.
func orZero(t *time.Time) time.Time {
	if t == nil || t.IsZero() {
		return time.Unix(0, 0).UTC()
	}
	return t.UTC()
}

func boolByte(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// coverageColumns splits scan.coverage into the parallel arrays stored.
func coverageColumns(cov []event.Coverage) (src, ev []string, from, to []time.Time) {
	src, ev, from, to = []string{}, []string{}, []time.Time{}, []time.Time{}
	for _, c := range cov {
		src, ev = append(src, c.Source), append(ev, string(c.Evidence))
		from, to = append(from, c.From.UTC()), append(to, c.To.UTC())
	}
	return src, ev, from, to
}
