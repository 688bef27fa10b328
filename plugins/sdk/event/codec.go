package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"
)

// Size limits. An event over MaxEventBytes is refused by Decode and by
// Validate; fields are limited so that one bad plugin cannot bloat a table.
const (
	MaxEventBytes   = 1 << 20
	MaxFieldBytes   = 4096
	MaxAttrs        = 64
	MaxOwnerHints   = 32
	MaxSeenPerEvent = 10000
	// MaxUnreadable bounds scan.unreadable; errors still counts every problem.
	MaxUnreadable = 200
	// MaxCoverage bounds scan.coverage.
	MaxCoverage = 200
	MaxPlugins  = 256
)

// ErrTooLarge reports an encoded event over MaxEventBytes.
var ErrTooLarge = errors.New("event: over the size limit")

// ValidationError says which field of an event is wrong and why.
type ValidationError struct {
	Field  string
	Reason string
}

func (e *ValidationError) Error() string { return "event: " + e.Field + ": " + e.Reason }

// Encode returns the JSON encoding of e after validating it.
func Encode(e *Event) ([]byte, error) {
	if err := e.Validate(); err != nil {
		return nil, err
	}
	b, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("event: encode: %w", err)
	}
	if len(b) > MaxEventBytes {
		return nil, fmt.Errorf("%w: %d bytes", ErrTooLarge, len(b))
	}
	return b, nil
}

// Decode parses and validates one encoded event. Unknown fields are
// rejected, so that a typo in a producer is an error rather than lost data.
func Decode(b []byte) (*Event, error) {
	if len(b) > MaxEventBytes {
		return nil, fmt.Errorf("%w: %d bytes", ErrTooLarge, len(b))
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var e Event
	if err := dec.Decode(&e); err != nil {
		return nil, fmt.Errorf("event: decode: %w", err)
	}
	if dec.More() {
		return nil, errors.New("event: decode: trailing data after the event")
	}
	if err := e.Validate(); err != nil {
		return nil, err
	}
	e.Normalize()
	return &e, nil
}

var (
	filemodePattern = regexp.MustCompile(`^0[0-7]{3,4}$`)
	// Times before 2000 or far in the future are clock errors, not data.
	minTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	// File and certificate times may be old or far ahead, but must fit a
	// ClickHouse DateTime (unsigned 32-bit seconds).
	epoch     = time.Unix(0, 0)
	maxStored = time.Date(2106, 1, 1, 0, 0, 0, 0, time.UTC)
)

// Validate checks required fields, enumerations and size limits.
func (e *Event) Validate() error {
	if e.SchemaVersion < 1 || e.SchemaVersion > SchemaVersion {
		return &ValidationError{"schema_version", fmt.Sprintf("unsupported version %d (this reader knows 1 to %d)", e.SchemaVersion, SchemaVersion)}
	}
	if !isHex(e.EventID, 32) {
		return &ValidationError{"event_id", "must be 32 lower-case hex digits"}
	}
	if err := required("agent_id", e.AgentID); err != nil {
		return err
	}
	if err := required("host", e.Host); err != nil {
		return err
	}
	if err := checkTime("time", e.Time); err != nil {
		return err
	}
	if err := e.checkStrings(); err != nil {
		return err
	}
	switch e.Type {
	case TypeNHIObserved:
		return e.validateObserved()
	case TypeUsageEvidence:
		return e.validateUsage()
	case TypeScanCompleted:
		return e.validateScan()
	case TypeAgentHeartbeat:
		return e.validateHeartbeat()
	case "":
		return &ValidationError{"type", "required"}
	default:
		return &ValidationError{"type", fmt.Sprintf("unknown type %q", e.Type)}
	}
}

func (e *Event) validateObserved() error {
	if err := e.checkIdentity(); err != nil {
		return err
	}
	if err := required("location", e.Location); err != nil {
		return err
	}
	if err := required("plugin", e.Plugin); err != nil {
		return err
	}
	if e.FileMode != "" && !filemodePattern.MatchString(e.FileMode) {
		return &ValidationError{"file_mode", "must be octal such as 0600"}
	}
	times := [...]struct {
		name string
		t    *time.Time
	}{{"modified_at", e.ModifiedAt}, {"created_at", e.CreatedAt}, {"expires_at", e.ExpiresAt}}
	for _, x := range times {
		if x.t != nil && (x.t.Before(epoch) || !x.t.Before(maxStored)) {
			return &ValidationError{x.name, fmt.Sprintf("time %s is outside 1970 to 2105", x.t.Format(time.RFC3339))}
		}
	}
	if e.Usage() || e.Scan != nil || e.Heartbeat != nil {
		return &ValidationError{"type", "nhi_observed carries no usage, scan or heartbeat fields"}
	}
	return nil
}

func (e *Event) validateUsage() error {
	if !validEvidence(e.Evidence) {
		return &ValidationError{"evidence", fmt.Sprintf("unknown evidence %q", e.Evidence)}
	}
	if e.Principal == "" && e.Fingerprint == "" {
		return &ValidationError{"principal", "usage evidence names a principal or a fingerprint"}
	}
	if e.Kind != "" && !validKind(e.Kind) {
		return &ValidationError{"kind", fmt.Sprintf("unknown kind %q", e.Kind)}
	}
	if e.Fingerprint != "" && !isHex(e.Fingerprint, 64) {
		return &ValidationError{"fingerprint", "must be 64 lower-case hex digits (HMAC-SHA256)"}
	}
	if err := required("source", e.Source); err != nil {
		return err
	}
	if e.UsedAt == nil {
		return &ValidationError{"used_at", "required"}
	}
	if e.Scan != nil || e.Heartbeat != nil {
		return &ValidationError{"type", "usage_evidence carries no scan or heartbeat fields"}
	}
	return checkTime("used_at", *e.UsedAt)
}

func (e *Event) validateScan() error {
	if err := required("plugin", e.Plugin); err != nil {
		return err
	}
	if err := required("scan_id", e.ScanID); err != nil {
		return err
	}
	s := e.Scan
	if s == nil {
		return &ValidationError{"scan", "required for scan_completed"}
	}
	if s.Parts < 1 || s.Part < 1 || s.Part > s.Parts {
		return &ValidationError{"scan.part", fmt.Sprintf("part %d of %d is out of range", s.Part, s.Parts)}
	}
	if len(s.Seen) > MaxSeenPerEvent {
		return &ValidationError{"scan.seen", fmt.Sprintf("%d entries, over the limit of %d per event (split the scan into parts)", len(s.Seen), MaxSeenPerEvent)}
	}
	for _, id := range s.Seen {
		if !isHex(id, 32) {
			return &ValidationError{"scan.seen", "entries must be identity keys (32 lower-case hex digits)"}
		}
	}
	if len(s.Unreadable) > MaxUnreadable {
		return &ValidationError{"scan.unreadable", fmt.Sprintf("%d entries, over the limit of %d", len(s.Unreadable), MaxUnreadable)}
	}
	if len(s.Coverage) > MaxCoverage {
		return &ValidationError{"scan.coverage", fmt.Sprintf("%d entries, over the limit of %d", len(s.Coverage), MaxCoverage)}
	}
	for _, c := range s.Coverage {
		if c.Source == "" || c.To.Before(c.From) {
			return &ValidationError{"scan.coverage", "entries need a source and from <= to"}
		}
		if err := checkTime("scan.coverage.to", c.To); err != nil {
			return err
		}
	}
	if len(s.Unreadable) > s.Errors {
		return &ValidationError{"scan.unreadable", "more entries than scan.errors"}
	}
	if s.FinishedAt.Before(s.StartedAt) {
		return &ValidationError{"scan.finished_at", "before scan.started_at"}
	}
	if s.Errors < 0 || s.FilesScanned < 0 || s.BytesScanned < 0 {
		return &ValidationError{"scan", "counters must not be negative"}
	}
	return checkTime("scan.started_at", s.StartedAt)
}

func (e *Event) validateHeartbeat() error {
	h := e.Heartbeat
	if h == nil {
		return &ValidationError{"heartbeat", "required for agent_heartbeat"}
	}
	if err := required("heartbeat.version", h.Version); err != nil {
		return err
	}
	if h.SpoolDepth < 0 || h.SpoolBytes < 0 || h.Dropped < 0 || h.RSSBytes < 0 || h.CPUPercent < 0 {
		return &ValidationError{"heartbeat", "counters must not be negative"}
	}
	if len(h.Plugins) > MaxPlugins {
		return &ValidationError{"heartbeat.plugins", "too many plugins"}
	}
	return nil
}

// Usage reports whether any usage-evidence field is set.
func (e *Event) Usage() bool {
	return e.Evidence != "" || e.Source != "" || e.UsedAt != nil || e.Actor != ""
}

func (e *Event) checkIdentity() error {
	if !validKind(e.Kind) {
		return &ValidationError{"kind", fmt.Sprintf("unknown kind %q", e.Kind)}
	}
	if e.Fingerprint == "" && e.Principal == "" {
		return &ValidationError{"principal", "an identity has a principal, a fingerprint or both"}
	}
	if e.Fingerprint != "" && !isHex(e.Fingerprint, 64) {
		return &ValidationError{"fingerprint", "must be 64 lower-case hex digits (HMAC-SHA256)"}
	}
	if want := IdentityKey(e.Kind, e.Principal, e.Fingerprint, e.Host); e.NHIID != want {
		return &ValidationError{"nhi_id", "does not match kind, principal, fingerprint and host (use event.IdentityKey)"}
	}
	return nil
}

func (e *Event) checkStrings() error {
	fields := [...]struct{ name, v string }{
		{"agent_id", e.AgentID}, {"host", e.Host}, {"plugin", e.Plugin}, {"scan_id", e.ScanID},
		{"principal", e.Principal}, {"location", e.Location}, {"key", e.Key}, {"file_owner", e.FileOwner},
		{"account", e.Account}, {"source", e.Source}, {"actor", e.Actor},
	}
	for _, f := range fields {
		if len(f.v) > MaxFieldBytes {
			return &ValidationError{f.name, fmt.Sprintf("%d bytes, over the limit of %d", len(f.v), MaxFieldBytes)}
		}
	}
	if len(e.Attrs) > MaxAttrs {
		return &ValidationError{"attrs", fmt.Sprintf("%d entries, over the limit of %d", len(e.Attrs), MaxAttrs)}
	}
	for k, v := range e.Attrs {
		if len(k) > MaxFieldBytes || len(v) > MaxFieldBytes {
			return &ValidationError{"attrs." + k, "over the size limit"}
		}
	}
	if len(e.OwnerHints) > MaxOwnerHints {
		return &ValidationError{"owner_hints", "too many entries"}
	}
	for _, h := range e.OwnerHints {
		if len(h) > MaxFieldBytes {
			return &ValidationError{"owner_hints", "an entry is over the size limit"}
		}
	}
	return nil
}

// isHex reports whether s is exactly n lower-case hex digits; it replaces a
// regular expression on the collector's hot path.
func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func required(field, v string) error {
	if v == "" {
		return &ValidationError{field, "required"}
	}
	return nil
}

func checkTime(field string, t time.Time) error {
	if t.Before(minTime) || t.After(time.Now().Add(24*time.Hour)) {
		return &ValidationError{field, fmt.Sprintf("time %s is out of range", t.Format(time.RFC3339))}
	}
	return nil
}
