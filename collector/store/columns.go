package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// columns is a batch of events as the typed column slices clickhouse-go
// appends in one call each, in eventColumns order. Building them directly,
// without a []any per row, is most of what makes the collector keep up.
type columns struct {
	eventID, typ                                        []string
	schemaVersion                                       []uint8
	agentID, host                                       []string
	tm                                                  []time.Time
	plugin, scanID, nhiID, kind, principal, fingerprint []string
	location, key, fileOwner, fileMode, account         []string
	modifiedAt, createdAt, expiresAt                    []time.Time
	ownerHints, attrKeys, attrValues                    [][]string
	evidence, source                                    []string
	usedAt                                              []time.Time
	actor                                               []string
	scanFull                                            []uint8
	scanStartedAt                                       []time.Time
	scanSeen, scanUnreadable                            [][]string
	covSource, covEvidence                              [][]string
	covFrom, covTo                                      [][]time.Time
	scanPart, scanParts                                 []uint16
	scanErrors                                          []uint32
	heartbeat                                           []string
}

var empty = []string{}

// newColumns returns columns with room for n events: grown by append, the
// 34 slices of a 50,000-event batch would allocate twice what they hold.
func newColumns(n int) columns {
	strs := func() []string { return make([]string, 0, n) }
	times := func() []time.Time { return make([]time.Time, 0, n) }
	lists := func() [][]string { return make([][]string, 0, n) }
	return columns{
		eventID: strs(), typ: strs(), schemaVersion: make([]uint8, 0, n), agentID: strs(), host: strs(), tm: times(),
		plugin: strs(), scanID: strs(), nhiID: strs(), kind: strs(), principal: strs(), fingerprint: strs(),
		location: strs(), key: strs(), fileOwner: strs(), fileMode: strs(), account: strs(),
		modifiedAt: times(), createdAt: times(), expiresAt: times(),
		ownerHints: lists(), attrKeys: lists(), attrValues: lists(),
		evidence: strs(), source: strs(), usedAt: times(), actor: strs(),
		scanFull: make([]uint8, 0, n), scanStartedAt: times(), scanSeen: lists(), scanUnreadable: lists(),
		scanPart: make([]uint16, 0, n), scanParts: make([]uint16, 0, n), scanErrors: make([]uint32, 0, n),
		covSource: lists(), covEvidence: lists(), covFrom: make([][]time.Time, 0, n), covTo: make([][]time.Time, 0, n),
		heartbeat: strs(),
	}
}

func (c *columns) add(e *event.Event) error {
	var hb string
	if e.Heartbeat != nil {
		b, err := json.Marshal(e.Heartbeat)
		if err != nil {
			return fmt.Errorf("store: heartbeat of event %s: %w", e.EventID, err)
		}
		hb = string(b)
	}
	s := e.Scan
	if s == nil {
		s = &event.Scan{}
	}
	keys, values := attrs(e.Attrs)
	c.eventID = append(c.eventID, e.EventID)
	c.typ = append(c.typ, string(e.Type))
	c.schemaVersion = append(c.schemaVersion, uint8(e.SchemaVersion))
	c.agentID = append(c.agentID, e.AgentID)
	c.host = append(c.host, e.Host)
	c.tm = append(c.tm, e.Time)
	c.plugin = append(c.plugin, e.Plugin)
	c.scanID = append(c.scanID, e.ScanID)
	c.nhiID = append(c.nhiID, identityOf(e))
	c.kind = append(c.kind, string(e.Kind))
	c.principal = append(c.principal, e.Principal)
	c.fingerprint = append(c.fingerprint, e.Fingerprint)
	c.location = append(c.location, e.Location)
	c.key = append(c.key, e.Key)
	c.fileOwner = append(c.fileOwner, e.FileOwner)
	c.fileMode = append(c.fileMode, e.FileMode)
	c.account = append(c.account, e.Account)
	c.modifiedAt = append(c.modifiedAt, orZero(e.ModifiedAt))
	c.createdAt = append(c.createdAt, orZero(e.CreatedAt))
	c.expiresAt = append(c.expiresAt, orZero(e.ExpiresAt))
	c.ownerHints = append(c.ownerHints, orEmpty(e.OwnerHints))
	c.attrKeys = append(c.attrKeys, keys)
	c.attrValues = append(c.attrValues, values)
	c.evidence = append(c.evidence, string(e.Evidence))
	c.source = append(c.source, e.Source)
	c.usedAt = append(c.usedAt, orZero(e.UsedAt))
	c.actor = append(c.actor, e.Actor)
	c.scanFull = append(c.scanFull, boolByte(s.Full))
	c.scanStartedAt = append(c.scanStartedAt, orZero(&s.StartedAt))
	c.scanSeen = append(c.scanSeen, orEmpty(s.Seen))
	c.scanPart = append(c.scanPart, uint16(s.Part))
	c.scanParts = append(c.scanParts, uint16(s.Parts))
	c.scanErrors = append(c.scanErrors, uint32(s.Errors))
	c.scanUnreadable = append(c.scanUnreadable, orEmpty(s.Unreadable))
	cs, ce, cf, ct := coverageColumns(s.Coverage)
	c.covSource, c.covEvidence, c.covFrom, c.covTo = append(c.covSource, cs), append(c.covEvidence, ce), append(c.covFrom, cf), append(c.covTo, ct)
	c.heartbeat = append(c.heartbeat, hb)
	return nil
}

// slices returns the columns in eventColumns order.
func (c *columns) slices() []any {
	return []any{c.eventID, c.typ, c.schemaVersion, c.agentID, c.host, c.tm, c.plugin, c.scanID,
		c.nhiID, c.kind, c.principal, c.fingerprint, c.location, c.key, c.fileOwner, c.fileMode, c.account,
		c.modifiedAt, c.createdAt, c.expiresAt, c.ownerHints, c.attrKeys, c.attrValues,
		c.evidence, c.source, c.usedAt, c.actor,
		c.scanFull, c.scanStartedAt, c.scanSeen, c.scanPart, c.scanParts, c.scanErrors, c.scanUnreadable,
		c.covSource, c.covEvidence, c.covFrom, c.covTo, c.heartbeat}
}

func orEmpty(s []string) []string {
	if s == nil {
		return empty
	}
	return s
}

// Prepared is a batch converted to columns, ready to insert. Preparing the
// next batch while the previous one is inserted overlaps the two.
type Prepared struct {
	st   *Store
	cols columns
	rows int
}

// Prepare converts events to columns without touching the server.
func (s *Store) Prepare(events []*event.Event) (*Prepared, error) {
	p := &Prepared{st: s, rows: len(events), cols: newColumns(len(events))}
	for _, e := range events {
		if err := p.cols.add(e); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// Insert writes the prepared batch in one INSERT; it may be retried.
func (p *Prepared) Insert(ctx context.Context) error {
	if p.rows == 0 {
		return nil
	}
	s := p.st
	batch, err := s.conn.PrepareBatch(ctx, "INSERT INTO "+s.cfg.Database+".events"+distSuffix(s.cfg.Cluster)+" ("+eventColumns+")")
	if err != nil {
		return fmt.Errorf("store: prepare insert: %w", err)
	}
	defer batch.Abort() //nolint:errcheck // no-op after Send
	for i, col := range p.cols.slices() {
		if err := batch.Column(i).Append(col); err != nil {
			return fmt.Errorf("store: append column %d: %w", i, err)
		}
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("store: insert %d events: %w", p.rows, err)
	}
	return nil
}
