// Package findingdb keeps findings in ClickHouse: each finding's current
// row (findings, a new version per change), its audited transitions
// (finding_events), the records an analysis compares against, and when an
// exception stopped covering a finding. Tickets and reviews are ticketdb's.
package findingdb

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/nhiradar/nhiradar/analytics/findings"
	"github.com/nhiradar/nhiradar/collector/store"
)

// DB reads and writes a store's findings.
type DB struct{ st *store.Store }

// New returns the findings of st.
func New(st *store.Store) *DB { return &DB{st: st} }

const findingColumns = `finding_id, rule, severity, state, nhi_id, kind, principal, hosts, locations,
	owner, owner_status, first_detected, last_detected, resolved_at, evidence, controls, policy`

// Findings returns the current row of every finding (FINAL: the highest
// version of each finding_id), ordered by finding_id.
func (d *DB) Findings(ctx context.Context) ([]findings.Finding, error) {
	return d.readFindings(ctx, "")
}

// FindingsByID returns the current rows of the findings named.
func (d *DB) FindingsByID(ctx context.Context, ids []string) ([]findings.Finding, error) {
	var out []findings.Finding
	for len(ids) > 0 {
		n := min(len(ids), 10_000)
		fs, err := d.readFindings(ctx, "WHERE finding_id IN (SELECT arrayJoin(?))", ids[:n])
		if err != nil {
			return nil, err
		}
		out, ids = append(out, fs...), ids[n:]
	}
	return out, nil
}

func (d *DB) readFindings(ctx context.Context, where string, args ...any) ([]findings.Finding, error) {
	rows, err := d.st.Conn().Query(ctx, "SELECT "+findingColumns+" FROM "+d.st.Table("findings")+" FINAL "+where+" ORDER BY finding_id", args...)
	if err != nil {
		return nil, fmt.Errorf("findingdb: read findings: %w", err)
	}
	defer rows.Close()
	var out []findings.Finding
	for rows.Next() {
		var f findings.Finding
		if err := rows.Scan(&f.FindingID, &f.Rule, &f.Severity, &f.State, &f.NHIID, &f.Kind, &f.Principal,
			&f.Hosts, &f.Locations, &f.Owner, &f.OwnerStatus, &f.FirstDetected, &f.LastDetected, &f.ResolvedAt,
			&f.Evidence, &f.Controls, &f.Policy); err != nil {
			return nil, fmt.Errorf("findingdb: finding row: %w", err)
		}
		f.FirstDetected, f.LastDetected = f.FirstDetected.UTC(), f.LastDetected.UTC()
		f.ResolvedAt = zeroEpoch(f.ResolvedAt)
		out = append(out, f)
	}
	return out, rows.Err()
}

// FindingRecords returns the lifecycle and digest of every finding, in
// finding_id order: what an analysis needs, without the evidence.
func (d *DB) FindingRecords(ctx context.Context) ([]findings.Record, error) {
	classes, err := d.recordClasses(ctx)
	if err != nil {
		return nil, err
	}
	// A fleet's findings are hundreds of thousands of rows read beside the
	// inventory: the server spells each row in numbers (the key the id
	// spells, its rule/severity/state class, Unix times), so the client
	// decodes two strings per row rather than six.
	rows, err := d.st.Conn().Query(ctx, `SELECT
		if(match(finding_id, '^f-[0-9a-fA-F]{16}$'), '', finding_id) AS malformed,
		reinterpretAsUInt64(reverse(unhex(substring(finding_id, 3)))) AS key,
		cityHash64(rule, severity, state) AS class, nhi_id, if(length(hosts) = 1, hosts[1], '') AS host,
		toUInt32(first_detected), toUInt32(last_detected), toUInt32(resolved_at), digest
		FROM `+d.st.Table("findings")+" FINAL ORDER BY finding_id")
	if err != nil {
		return nil, fmt.Errorf("findingdb: read finding records: %w", err)
	}
	defer rows.Close()
	var (
		// Filled a block at a time and copied once into a slice of the
		// exact length: appending to one slice of hundreds of thousands
		// allocated five times its size as it grew.
		blocks                 [][]findings.Record
		block                  []findings.Record
		n                      int
		hosts                  = map[string]string{} // a fleet's few thousand
		malformed, host, nhiID string
		key, class, digest     uint64
		first, last, resolved  uint32
		// One list of destinations for every row: built per row, it and
		// the record it pointed into were two allocations a row.
		dest = []any{&malformed, &key, &class, &nhiID, &host, &first, &last, &resolved, &digest}
	)
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("findingdb: finding record: %w", err)
		}
		r := findings.Record{NHIID: nhiID, Digest: digest}
		if malformed != "" {
			_, err := findings.ParseKey(malformed)
			return nil, fmt.Errorf("findingdb: finding record: %w", err)
		}
		c, ok := classes[class]
		if !ok { // written after the classes were read: read them again
			if classes, err = d.recordClasses(ctx); err != nil {
				return nil, err
			}
			c, ok = classes[class]
		}
		if !ok {
			return nil, fmt.Errorf("findingdb: finding record f-%016x: its rule, severity and state changed while read; the next analysis reads them again", key)
		}
		r.Key, r.Rule, r.Severity, r.State = findings.Key(key), c.rule, c.severity, c.state
		r.FirstDetected, r.LastDetected, r.ResolvedAt = int64(first), int64(last), int64(resolved)
		if findings.PerHost(r.Rule) && host != "" {
			if h, ok := hosts[host]; ok {
				host = h
			} else {
				hosts[host] = host
			}
			r.Host = host
		}
		if len(block) == cap(block) {
			block = make([]findings.Record, 0, recordBlock)
			blocks = append(blocks, block)
		}
		block = append(block, r)
		blocks[len(blocks)-1] = block
		n++
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("findingdb: read finding records: %w", err)
	}
	out := make([]findings.Record, 0, n)
	for _, b := range blocks {
		out = append(out, b...)
	}
	return out, nil
}

const recordBlock = 16384

type recordClass struct{ rule, severity, state string }

// recordClasses reads every (rule, severity, state) the findings hold, by
// the class number FindingRecords reads: a dozen rules, four severities
// and four states make a few dozen.
func (d *DB) recordClasses(ctx context.Context) (map[uint64]recordClass, error) {
	rows, err := d.st.Conn().Query(ctx, "SELECT DISTINCT cityHash64(rule, severity, state), rule, severity, state FROM "+d.st.Table("findings"))
	if err != nil {
		return nil, fmt.Errorf("findingdb: read finding classes: %w", err)
	}
	defer rows.Close()
	out := map[uint64]recordClass{}
	for rows.Next() {
		var (
			class uint64
			c     recordClass
		)
		if err := rows.Scan(&class, &c.rule, &c.severity, &c.state); err != nil {
			return nil, fmt.Errorf("findingdb: finding class: %w", err)
		}
		out[class] = c
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

// writeChunk bounds the rows of one block: the driver holds a whole block
// in memory, and a fleet's first analysis writes hundreds of thousands.
const writeChunk = 50_000

// WriteFindings stores new rows of findings at version (later versions
// replace earlier ones) and appends their transitions, tagged with the
// analysis that made them.
func (d *DB) WriteFindings(ctx context.Context, version uint64, fs []findings.Finding, ts []findings.Transition, analysisID string) error {
	w := d.NewWriter(ctx, version, analysisID)
	for len(fs) > 0 || len(ts) > 0 {
		n, m := min(len(fs), writeChunk), min(len(ts), writeChunk)
		if err := w.Write(fs[:n], ts[:m]); err != nil {
			w.Abort()
			return err
		}
		fs, ts = fs[n:], ts[m:]
	}
	return w.Close()
}

// Writer stores findings and transitions chunk by chunk through one open
// insert per table, each chunk a block of its own: the driver's column
// buffers are kept from one block to the next instead of allocated again
// for every chunk (an analysis writing a fleet's 250,000 findings spent
// more on collecting that garbage than on writing), and the server makes
// parts of whole blocks. A chunk's findings are sent before its
// transitions; the rows are stored when Close returns.
type Writer struct {
	ctx              context.Context
	db               *DB
	version          uint64
	analysisID       string
	findings, events driver.Batch
}

// NewWriter starts a writer; nothing is sent before the first Write.
func (d *DB) NewWriter(ctx context.Context, version uint64, analysisID string) *Writer {
	return &Writer{ctx: ctx, db: d, version: version, analysisID: analysisID}
}

// Write sends one chunk of findings and their transitions.
func (w *Writer) Write(fs []findings.Finding, ts []findings.Transition) error {
	if len(fs) > 0 {
		if err := w.send(&w.findings, "findings", "version, "+findingColumns+", digest", findingCols(w.version, fs)); err != nil {
			return fmt.Errorf("findingdb: insert %d findings: %w", len(fs), err)
		}
	}
	if len(ts) > 0 {
		if err := w.send(&w.events, "finding_events", "finding_id, from_state, to_state, at, why, by, analysis_id",
			transitionCols(ts, w.analysisID)); err != nil {
			return fmt.Errorf("findingdb: insert %d transitions: %w", len(ts), err)
		}
	}
	return nil
}

func (w *Writer) send(b *driver.Batch, table, columns string, cols []any) error {
	if *b == nil {
		nb, err := w.db.st.Conn().PrepareBatch(w.ctx, "INSERT INTO "+w.db.st.Table(table)+" ("+columns+")")
		if err != nil {
			return fmt.Errorf("prepare %s insert: %w", table, err)
		}
		*b = nb
	}
	for i, c := range cols {
		if err := (*b).Column(i).Append(c); err != nil {
			return fmt.Errorf("%s column %d: %w", table, i, err)
		}
	}
	return (*b).Flush()
}

// Close ends both inserts: the rows sent are stored.
func (w *Writer) Close() error {
	for _, b := range []driver.Batch{w.findings, w.events} {
		if b == nil {
			continue
		}
		if err := b.Send(); err != nil {
			w.Abort()
			return fmt.Errorf("findingdb: end insert: %w", err)
		}
	}
	w.findings, w.events = nil, nil
	return nil
}

// Abort gives up both inserts, after a failed Write or when the caller
// stops; blocks already sent may be stored.
func (w *Writer) Abort() {
	for _, b := range []driver.Batch{w.findings, w.events} {
		if b != nil {
			_ = b.Abort()
		}
	}
	w.findings, w.events = nil, nil
}

func findingCols(version uint64, fs []findings.Finding) []any {
	n := len(fs)
	ver := make([]uint64, n)
	str := func(get func(*findings.Finding) string) []string {
		out := make([]string, n)
		for i := range fs {
			out[i] = get(&fs[i])
		}
		return out
	}
	list := func(get func(*findings.Finding) []string) [][]string {
		out := make([][]string, n)
		for i := range fs {
			out[i] = orEmpty(get(&fs[i]))
		}
		return out
	}
	at := func(get func(*findings.Finding) time.Time) []time.Time {
		out := make([]time.Time, n)
		for i := range fs {
			out[i] = epochZero(get(&fs[i]))
		}
		return out
	}
	digests := make([]uint64, n)
	for i := range ver {
		ver[i], digests[i] = version, fs[i].Digest()
	}
	return []any{ver,
		str(func(f *findings.Finding) string { return f.FindingID }),
		str(func(f *findings.Finding) string { return f.Rule }),
		str(func(f *findings.Finding) string { return f.Severity }),
		str(func(f *findings.Finding) string { return f.State }),
		str(func(f *findings.Finding) string { return f.NHIID }),
		str(func(f *findings.Finding) string { return f.Kind }),
		str(func(f *findings.Finding) string { return f.Principal }),
		list(func(f *findings.Finding) []string { return f.Hosts }),
		list(func(f *findings.Finding) []string { return f.Locations }),
		str(func(f *findings.Finding) string { return f.Owner }),
		str(func(f *findings.Finding) string { return f.OwnerStatus }),
		at(func(f *findings.Finding) time.Time { return f.FirstDetected }),
		at(func(f *findings.Finding) time.Time { return f.LastDetected }),
		at(func(f *findings.Finding) time.Time { return f.ResolvedAt }),
		list(func(f *findings.Finding) []string { return f.Evidence }),
		list(func(f *findings.Finding) []string { return f.Controls }),
		str(func(f *findings.Finding) string { return f.Policy }),
		digests,
	}
}

// transitionCols lays ts out as the columns of finding_events.
func transitionCols(ts []findings.Transition, analysisID string) []any {
	n := len(ts)
	id, from, to, why, by, aid := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	at := make([]time.Time, n)
	for i, t := range ts {
		id[i], from[i], to[i], at[i], why[i], by[i], aid[i] = t.FindingID, t.From, t.To, t.At, t.Why, t.By, analysisID
	}
	return []any{id, from, to, at, why, by, aid}
}

// FindingEvents returns every recorded transition of one finding, oldest first.
func (d *DB) FindingEvents(ctx context.Context, findingID string) ([]findings.Transition, error) {
	rows, err := d.st.Conn().Query(ctx, "SELECT finding_id, from_state, to_state, at, why, by FROM "+d.st.Table("finding_events")+
		" WHERE finding_id = ? ORDER BY at, from_state = '' DESC", findingID)
	if err != nil {
		return nil, fmt.Errorf("findingdb: read transitions of %s: %w", findingID, err)
	}
	defer rows.Close()
	var out []findings.Transition
	for rows.Next() {
		var t findings.Transition
		if err := rows.Scan(&t.FindingID, &t.From, &t.To, &t.At, &t.Why, &t.By); err != nil {
			return nil, fmt.Errorf("findingdb: transition row: %w", err)
		}
		t.At = t.At.UTC()
		out = append(out, t)
	}
	return out, rows.Err()
}

// Unexempted returns, by finding id, the latest time an exception stopped
// covering the finding (accepted -> reopened).
func (d *DB) Unexempted(ctx context.Context) (map[string]time.Time, error) {
	rows, err := d.st.Conn().Query(ctx, "SELECT finding_id, max(at) FROM "+d.st.Table("finding_events")+
		" WHERE from_state = 'accepted' AND to_state = 'reopened' GROUP BY finding_id")
	if err != nil {
		return nil, fmt.Errorf("findingdb: expired exceptions: %w", err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var id string
		var at time.Time
		if err := rows.Scan(&id, &at); err != nil {
			return nil, err
		}
		out[id] = at
	}
	return out, rows.Err()
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
