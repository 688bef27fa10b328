package detect

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/ext"

	"github.com/nhiradar/nhiradar/analytics/findings"
)

// located is one identity at one location on one host with its latest attrs.
type located struct {
	Host, NHIID, Location string
	Attrs                 map[string]string
}

func attrMap(keys, values []string) map[string]string {
	m := make(map[string]string, len(keys))
	for i, k := range keys {
		if i < len(values) {
			m[k] = values[i]
		}
	}
	return m
}

// queryLocated runs an attr_state query returning host, nhi_id, location,
// attr_keys, attr_values, and orders its rows by host, nhi_id, location.
func queryLocated(ctx context.Context, src Source, file string, args ...any) ([]located, error) {
	rows, err := src.query(ctx, file, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []located
	for rows.Next() {
		var l located
		var keys, values []string
		if err := rows.Scan(&l.Host, &l.NHIID, &l.Location, &keys, &values); err != nil {
			return nil, fmt.Errorf("%s row: %w", file, err)
		}
		l.Attrs = attrMap(keys, values)
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Sorted here, not by the server: its ORDER BY over three strings
	// costs more than this sort (BENCHMARKS.md).
	slices.SortFunc(out, func(a, b located) int {
		return cmp.Or(strings.Compare(a.Host, b.Host), strings.Compare(a.NHIID, b.NHIID), strings.Compare(a.Location, b.Location))
	})
	return out, nil
}

// withIDs sends ids along with ctx's query as the external table
// name(nhi_id String): tens of thousands of them inlined would pass the
// server's max_query_size.
func withIDs(ctx context.Context, name string, ids []string) (context.Context, error) {
	tbl, err := ext.NewTable(name, ext.Column("nhi_id", "String"))
	if err != nil {
		return nil, fmt.Errorf("external table %s: %w", name, err)
	}
	for _, id := range ids {
		if err := tbl.Append(id); err != nil {
			return nil, fmt.Errorf("external table %s: %w", name, err)
		}
	}
	return clickhouse.Context(ctx, clickhouse.WithExternalTable(tbl)), nil
}

// storedOf says what a query that narrows to what may hold is also to
// return: the identities with a stored unresolved finding of rule, which
// need current facts to resolve with. all is 1 when the analysis did not
// say which are stored: the query then returns everything.
func storedOf(env *Env, rule string) (all uint8, stored []string) {
	if env.StoredIDs == nil {
		return 1, nil
	}
	return 0, env.StoredIDs(rule)
}

// clear records why a finding that the rule checked no longer holds, for
// the resolution's evidence ("mode now 0600", "owner now alice"). Only a
// stored finding needs one: why is called for those alone.
func (e *Env) clear(rule string, id *Identity, host string, why func() string) {
	if !e.stored(rule, id, host) {
		return
	}
	if e.Cleared == nil {
		e.Cleared = map[findings.Key]string{}
	}
	e.Cleared[findings.KeyOf(rule, id.NHIID, host)] = why()
}

// stored says whether a finding of rule may be stored unresolved: always,
// when the analysis did not say which are (Stored nil).
func (e *Env) stored(rule string, id *Identity, host string) bool {
	if e.Stored == nil {
		return true
	}
	if id.storedRules&ruleBit(rule) == 0 {
		return false
	}
	return e.Stored(findings.KeyOf(rule, id.NHIID, host))
}
