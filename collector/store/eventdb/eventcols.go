// Package eventdb is the write path of events into ClickHouse: the one
// mapping of an event to the columns of the events table (EventColumns,
// EventRow) and the batch insert a collector stores a consumed batch with
// (Writer.Prepare, Writer.InsertEvents). It is named apart from
// collector/ingest, the Kafka consumer that calls it.
package eventdb

import (
	"sort"
	"time"

	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// row is one event with what several columns derive from it worked out
// once: its parts that may be missing replaced by empty ones, its attributes
// sorted into parallel keys and values.
type row struct {
	e        *event.Event
	scan     *event.Scan
	hb       *event.Heartbeat
	budget   *event.Budget
	attrKeys []string
	attrVals []string
}

var (
	noScan      = &event.Scan{}
	noHeartbeat = &event.Heartbeat{}
	noBudget    = &event.Budget{}
	empty       = []string{}
)

func newRow(e *event.Event) row {
	r := row{e: e, scan: e.Scan, hb: e.Heartbeat}
	if r.scan == nil {
		r.scan = noScan
	}
	if r.hb == nil {
		r.hb = noHeartbeat
	}
	r.budget = r.hb.Budget
	if r.budget == nil {
		r.budget = noBudget
	}
	r.attrKeys, r.attrVals = attrs(e.Attrs)
	return r
}

// eventColumn is one column of events and how an event fills it: the only
// place that says which columns a collector writes and from what.
type eventColumn struct {
	name string
	// value is the column's value for one event (EventRow).
	value func(r *row) any
	// appendTo appends the column's value for every event of rows to a
	// typed slice, the form clickhouse-go appends as a whole column.
	appendTo func(rows []row) any
}

func col[T any](name string, get func(r *row) T) eventColumn {
	return eventColumn{
		name:  name,
		value: func(r *row) any { return get(r) },
		appendTo: func(rows []row) any {
			out := make([]T, len(rows))
			for i := range rows {
				out[i] = get(&rows[i])
			}
			return out
		},
	}
}

// plugins is a heartbeat's plugin list as one array column per field.
func plugins[T any](name string, get func(p *event.PluginStatus) T) eventColumn {
	return col(name, func(r *row) []T {
		out := make([]T, len(r.hb.Plugins))
		for i := range r.hb.Plugins {
			out[i] = get(&r.hb.Plugins[i])
		}
		return out
	})
}

// coverage is a scan's coverage list as one array column per field.
func coverage[T any](name string, get func(c *event.Coverage) T) eventColumn {
	return col(name, func(r *row) []T {
		out := make([]T, len(r.scan.Coverage))
		for i := range r.scan.Coverage {
			out[i] = get(&r.scan.Coverage[i])
		}
		return out
	})
}

// eventColumns are the columns InsertEvents writes, in order. INSERTs name
// their columns explicitly: ClickHouse 18.16 requires it of the native
// protocol, and it keeps old collectors working after a column is added.
// The JSON column heartbeat is no longer written: rows from older
// collectors keep it, and migration 0015 reads it for them.
var eventColumns = []eventColumn{
	col("event_id", func(r *row) string { return r.e.EventID }),
	col("type", func(r *row) string { return string(r.e.Type) }),
	col("schema_version", func(r *row) uint8 { return uint8(r.e.SchemaVersion) }),
	col("agent_id", func(r *row) string { return r.e.AgentID }),
	col("host", func(r *row) string { return r.e.Host }),
	col("time", func(r *row) time.Time { return r.e.Time }),
	col("plugin", func(r *row) string { return r.e.Plugin }),
	col("scan_id", func(r *row) string { return r.e.ScanID }),
	col("nhi_id", func(r *row) string { return identityOf(r.e) }),
	col("kind", func(r *row) string { return string(r.e.Kind) }),
	col("principal", func(r *row) string { return r.e.Principal }),
	col("fingerprint", func(r *row) string { return r.e.Fingerprint }),
	col("location", func(r *row) string { return r.e.Location }),
	col("key", func(r *row) string { return r.e.Key }),
	col("file_owner", func(r *row) string { return r.e.FileOwner }),
	col("file_mode", func(r *row) string { return r.e.FileMode }),
	col("account", func(r *row) string { return r.e.Account }),
	col("modified_at", func(r *row) time.Time { return orZero(r.e.ModifiedAt) }),
	col("created_at", func(r *row) time.Time { return orZero(r.e.CreatedAt) }),
	col("expires_at", func(r *row) time.Time { return orZero(r.e.ExpiresAt) }),
	col("owner_hints", func(r *row) []string { return orEmpty(r.e.OwnerHints) }),
	col("attr_keys", func(r *row) []string { return r.attrKeys }),
	col("attr_values", func(r *row) []string { return r.attrVals }),
	col("evidence", func(r *row) string { return string(r.e.Evidence) }),
	col("source", func(r *row) string { return r.e.Source }),
	col("used_at", func(r *row) time.Time { return orZero(r.e.UsedAt) }),
	col("actor", func(r *row) string { return r.e.Actor }),
	col("scan_full", func(r *row) uint8 { return boolByte(r.scan.Full) }),
	col("scan_started_at", func(r *row) time.Time { return orZero(&r.scan.StartedAt) }),
	col("scan_seen", func(r *row) []string { return orEmpty(r.scan.Seen) }),
	col("scan_part", func(r *row) uint16 { return uint16(r.scan.Part) }),
	col("scan_parts", func(r *row) uint16 { return uint16(r.scan.Parts) }),
	col("scan_errors", func(r *row) uint32 { return uint32(r.scan.Errors) }),
	col("scan_unreadable", func(r *row) []string { return orEmpty(r.scan.Unreadable) }),
	coverage("scan_coverage_source", func(c *event.Coverage) string { return c.Source }),
	coverage("scan_coverage_evidence", func(c *event.Coverage) string { return string(c.Evidence) }),
	coverage("scan_coverage_from", func(c *event.Coverage) time.Time { return c.From.UTC() }),
	coverage("scan_coverage_to", func(c *event.Coverage) time.Time { return c.To.UTC() }),
	col("hb_version", func(r *row) string { return r.hb.Version }),
	col("hb_os", func(r *row) string { return r.hb.OS }),
	col("hb_platform", func(r *row) string { return r.hb.Platform }),
	col("hb_kernel", func(r *row) string { return r.hb.Kernel }),
	col("hb_boot_time", func(r *row) time.Time { return orZero(r.hb.BootTime) }),
	col("hb_ips", func(r *row) []string { return orEmpty(r.hb.IPs) }),
	col("hb_spool_depth", func(r *row) int64 { return r.hb.SpoolDepth }),
	col("hb_spool_bytes", func(r *row) int64 { return r.hb.SpoolBytes }),
	col("hb_dropped", func(r *row) int64 { return r.hb.Dropped }),
	col("hb_spool_resets", func(r *row) int64 { return r.hb.SpoolResets }),
	col("hb_cpu_percent", func(r *row) float64 { return r.hb.CPUPercent }),
	col("hb_rss_bytes", func(r *row) int64 { return r.hb.RSSBytes }),
	col("hb_budget_cpu_percent", func(r *row) float64 { return r.budget.CPUPercent }),
	col("hb_budget_read_bytes_per_second", func(r *row) float64 { return r.budget.ReadBytesPerSecond }),
	col("hb_budget_throttled", func(r *row) uint8 { return boolByte(r.budget.Throttled) }),
	col("hb_budget_pauses", func(r *row) int64 { return int64(r.budget.Pauses) }),
	col("hb_budget_reason", func(r *row) string { return r.budget.Reason }),
	plugins("hb_plugin_name", func(p *event.PluginStatus) string { return p.Name }),
	plugins("hb_plugin_state", func(p *event.PluginStatus) string { return p.State }),
	plugins("hb_plugin_last_scan", func(p *event.PluginStatus) time.Time { return orZero(p.LastScan) }),
	plugins("hb_plugin_restarts", func(p *event.PluginStatus) int64 { return int64(p.Restarts) }),
	plugins("hb_plugin_last_error", func(p *event.PluginStatus) string { return p.LastError }),
	plugins("hb_plugin_rss_bytes", func(p *event.PluginStatus) int64 { return p.RSSBytes }),
	plugins("hb_plugin_limit_reached", func(p *event.PluginStatus) string { return p.LimitReached }),
}

// EventColumns returns the columns of events that InsertEvents writes, in
// the order of EventRow's values.
func EventColumns() []string {
	out := make([]string, len(eventColumns))
	for i, c := range eventColumns {
		out[i] = c.name
	}
	return out
}

// EventRow returns the values InsertEvents writes for e, in EventColumns
// order (used by the benchmark to feed clickhouse-client the same rows).
func EventRow(e *event.Event) []any {
	r := newRow(e)
	out := make([]any, len(eventColumns))
	for i, c := range eventColumns {
		out[i] = c.value(&r)
	}
	return out
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
	if len(m) == 0 {
		return empty, empty
	}
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

func orEmpty(s []string) []string {
	if s == nil {
		return empty
	}
	return s
}

func boolByte(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}
