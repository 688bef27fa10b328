// Package event is the NHI Radar wire schema: the versioned envelope and the
// event types that plugins emit, the agent spools and publishes to Kafka, and
// the collector validates and stores in ClickHouse.
//
// It is the only package that the agent, the plugins and the collector share,
// and it imports no other package of the project. Events are encoded as one
// JSON object each (see FORMAT.md beside this file for the field reference
// and README.md at the repository root for why JSON).
package event

import (
	"crypto/rand"
	"encoding/hex"
	"time"
)

// SchemaVersion is the version of the wire format this package writes. A
// reader accepts every version up to and including it.
const SchemaVersion = 1

// Type says what an event reports.
type Type string

// The event types.
const (
	// TypeNHIObserved reports one non-human identity found at one location.
	TypeNHIObserved Type = "nhi_observed"
	// TypeUsageEvidence reports proof that an identity was used.
	TypeUsageEvidence Type = "usage_evidence"
	// TypeScanCompleted closes a full scan by one plugin and lists every
	// identity it saw, so that the collector can tell when one disappears.
	TypeScanCompleted Type = "scan_completed"
	// TypeAgentHeartbeat reports the agent's own health once a minute.
	TypeAgentHeartbeat Type = "agent_heartbeat"
)

// TypeScanWarning is a plugin telling the agent about a path it could not
// read in full (location: the path; attrs.reason: why, never content). It
// is not one of the wire Types: the agent logs it and folds it into the
// scan's scan_completed (errors, unreadable), and never publishes it.
const TypeScanWarning Type = "scan_warning"

// TypeScanCoverage is a usage plugin telling the agent how far back one of
// its sources reaches (location: the source; attrs.evidence: the evidence
// types it gives, comma-separated; attrs.from, attrs.to: RFC 3339). Like
// scan_warning it only travels from plugin to agent, which folds it into
// the scan's scan_completed (coverage).
const TypeScanCoverage Type = "scan_coverage"

// ToAgent reports whether t only travels from a plugin to the agent
// (scan_warning, scan_coverage): the agent folds such events into
// scan_completed and never publishes them.
func ToAgent(t Type) bool { return t == TypeScanWarning || t == TypeScanCoverage }

// Types lists the valid event types.
var Types = []Type{TypeNHIObserved, TypeUsageEvidence, TypeScanCompleted, TypeAgentHeartbeat}

// Event is one message on the wire. The envelope fields are always present;
// the others depend on Type (see Validate). Identity and usage fields sit at
// the top level so that a line of `nhi-agent scan --output jsonl` reads as
// one flat record.
type Event struct {
	// Envelope.
	SchemaVersion int       `json:"schema_version"`
	EventID       string    `json:"event_id"`
	Type          Type      `json:"type"`
	AgentID       string    `json:"agent_id"`
	Host          string    `json:"host"`
	Time          time.Time `json:"time"`
	// Plugin names the plugin that produced the event (empty for heartbeats).
	Plugin string `json:"plugin,omitempty"`
	// ScanID groups the events of one scan.
	ScanID string `json:"scan_id,omitempty"`

	// Identity: nhi_observed, and usage_evidence where known.
	NHIID       string `json:"nhi_id,omitempty"`
	Kind        Kind   `json:"kind,omitempty"`
	Principal   string `json:"principal,omitempty"`
	Fingerprint string `json:"fingerprint,omitempty"`

	// Observation: where and how the identity sits on the host.
	Location   string     `json:"location,omitempty"`
	Key        string     `json:"key,omitempty"`
	FileOwner  string     `json:"file_owner,omitempty"`
	FileMode   string     `json:"file_mode,omitempty"`
	Account    string     `json:"account,omitempty"`
	ModifiedAt *time.Time `json:"modified_at,omitempty"`
	CreatedAt  *time.Time `json:"created_at,omitempty"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	// OwnerHints are non-secret clues to who owns the identity: a profile
	// name, a key comment, an e-mail, the account whose home holds it.
	OwnerHints []string `json:"owner_hints,omitempty"`
	// Attrs holds kind-specific, non-secret details (region, key type, options).
	Attrs map[string]string `json:"attrs,omitempty"`

	// Usage evidence.
	Evidence Evidence   `json:"evidence,omitempty"`
	Source   string     `json:"source,omitempty"`
	UsedAt   *time.Time `json:"used_at,omitempty"`
	// Actor is who used the identity, where the evidence says (a login's
	// source address, the human who ran sudo).
	Actor string `json:"actor,omitempty"`

	Scan      *Scan      `json:"scan,omitempty"`
	Heartbeat *Heartbeat `json:"heartbeat,omitempty"`
}

// Scan is the body of a scan_completed event.
type Scan struct {
	Full       bool      `json:"full"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
	// Seen lists the NHIID of every identity the plugin observed in the scan.
	// A large scan is split over several events: Part counts from 1 to Parts.
	Seen   []string `json:"seen"`
	Part   int      `json:"part"`
	Parts  int      `json:"parts"`
	Errors int      `json:"errors"`
	// FilesScanned and BytesScanned describe the work done.
	FilesScanned int64 `json:"files_scanned,omitempty"`
	BytesScanned int64 `json:"bytes_scanned,omitempty"`
	// Unreadable lists the paths the plugin could not read in full (a
	// permission, a FIFO or device, a size or line limit, a link out of the
	// root), at most MaxUnreadable, in part 1 only. An identity seen before
	// at such a path is not gone because this scan did not list it.
	Unreadable []string `json:"unreadable,omitempty"`
	// Coverage says, per usage source and evidence type, the span of time
	// the source's records reach in this full scan: a use in that span
	// would have been seen. Part 1 only; at most MaxCoverage entries.
	Coverage []Coverage `json:"coverage,omitempty"`
}

// Coverage is how far one usage source reaches for one evidence type.
type Coverage struct {
	Source   string    `json:"source"`
	Evidence Evidence  `json:"evidence"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
}

// Heartbeat is the body of an agent_heartbeat event.
type Heartbeat struct {
	Version    string     `json:"version"`
	OS         string     `json:"os,omitempty"`
	Platform   string     `json:"platform,omitempty"`
	Kernel     string     `json:"kernel,omitempty"`
	BootTime   *time.Time `json:"boot_time,omitempty"`
	IPs        []string   `json:"ips,omitempty"`
	SpoolDepth int64      `json:"spool_depth"`
	SpoolBytes int64      `json:"spool_bytes"`
	Dropped    int64      `json:"dropped"`
	// SpoolResets counts damaged spool files the agent moved aside and
	// replaced by an empty one, losing what they held.
	SpoolResets int64   `json:"spool_resets,omitempty"`
	CPUPercent  float64 `json:"cpu_percent"`
	RSSBytes    int64   `json:"rss_bytes"`
	// Nested objects come after the top-level fields they share names
	// with (cpu_percent, rss_bytes): the collector stores heartbeats in
	// typed columns, but reads those stored as JSON before its migration
	// 0015 with ClickHouse's visitParamExtract*, which take the first match
	// at any depth.
	Plugins []PluginStatus `json:"plugins,omitempty"`
	// Budget is the self-limits' view over their window.
	Budget *Budget `json:"budget,omitempty"`
}

// Budget says how the agent and its plugins stand against their CPU and
// read budgets: use over the window, whether plugins are held now, how
// often they were paused since the agent started and which budget did it
// last ("cpu" or "io").
type Budget struct {
	CPUPercent         float64 `json:"cpu_percent"`
	ReadBytesPerSecond float64 `json:"read_bytes_per_second"`
	Throttled          bool    `json:"throttled"`
	Pauses             int     `json:"pauses"`
	Reason             string  `json:"reason,omitempty"`
}

// PluginStatus is one plugin's state in a heartbeat.
type PluginStatus struct {
	Name         string     `json:"name"`
	State        string     `json:"state"`
	LastScan     *time.Time `json:"last_scan,omitempty"`
	Restarts     int        `json:"restarts"`
	LastError    string     `json:"last_error,omitempty"`
	RSSBytes     int64      `json:"rss_bytes,omitempty"`
	LimitReached string     `json:"limit_reached,omitempty"`
}

// NewID returns a random 128-bit identifier in hex, used for event and scan ids.
func NewID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("event: crypto/rand failed: " + err.Error()) // never happens on supported systems
	}
	return hex.EncodeToString(b[:])
}

// Complete fills in the envelope of an event a plugin produced: schema
// version, a new event id unless one is set, the agent and host, the time,
// and the identity key of what the event is about.
func (e *Event) Complete(agentID, host string, now time.Time) {
	e.SchemaVersion = SchemaVersion
	if e.EventID == "" {
		e.EventID = NewID()
	}
	e.AgentID, e.Host = agentID, host
	// Names are escaped before the key is derived, as a reader of the wire
	// would (Normalize), so that agent and collector derive the same key.
	e.escapeNames()
	if e.Time.IsZero() {
		e.Time = now.UTC()
	}
	if e.Kind != "" && (e.Principal != "" || e.Fingerprint != "") {
		e.NHIID = IdentityKey(e.Kind, e.Principal, e.Fingerprint, host)
	}
	e.clampExpiry()
}

// clampExpiry keeps an identity whose expiry lies past what the store can
// hold (a certificate valid until 2123): the expiry becomes the last
// storable second and attrs.expires_at says the real date, instead of the
// whole event being refused.
func (e *Event) clampExpiry() {
	if e.ExpiresAt == nil || e.ExpiresAt.Before(maxStored) {
		return
	}
	if e.Attrs == nil {
		e.Attrs = map[string]string{}
	}
	e.Attrs["expires_at"] = e.ExpiresAt.UTC().Format(time.RFC3339)
	clamped := maxStored.Add(-time.Second)
	e.ExpiresAt = &clamped
}
