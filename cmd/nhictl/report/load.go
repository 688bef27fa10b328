package report

import (
	"context"
	"fmt"

	"github.com/nhiradar/nhiradar/collector/store"
	"github.com/nhiradar/nhiradar/collector/store/findingdb"
	"github.com/nhiradar/nhiradar/collector/store/ticketdb"
)

// Load reads the findings, tickets with their history and the agents from
// the store into in (the caller adds the identities, which need the policy).
func Load(ctx context.Context, st *store.Store, in *Input) error {
	var err error
	if in.Findings, err = findingdb.New(st).Findings(ctx); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if in.Tickets, err = ticketdb.New(st).Tickets(ctx); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	for _, t := range in.Tickets {
		h, err := ticketdb.New(st).TicketHistory(ctx, t.TicketID)
		if err != nil {
			return fmt.Errorf("report: %w", err)
		}
		in.TicketEvents = append(in.TicketEvents, h...)
	}
	if in.Agents, err = LoadAgents(ctx, st); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	in.Database = st.Database()
	return nil
}

// LoadAgents reads the agents view: one row per agent from its heartbeats.
func LoadAgents(ctx context.Context, st *store.Store) ([]Agent, error) {
	rows, err := st.Conn().Query(ctx, `SELECT agent_id, host, first_seen, last_seen, version, os, spool_depth,
		spool_bytes, dropped, cpu_percent, rss_bytes FROM `+st.Table("agents")+` ORDER BY host, agent_id`)
	if err != nil {
		return nil, fmt.Errorf("agents: %w", err)
	}
	defer rows.Close()
	var out []Agent
	for rows.Next() {
		var a Agent
		if err := rows.Scan(&a.AgentID, &a.Host, &a.FirstSeen, &a.LastSeen, &a.Version, &a.OS, &a.SpoolDepth,
			&a.SpoolBytes, &a.Dropped, &a.CPUPercent, &a.RSSBytes); err != nil {
			return nil, fmt.Errorf("agents row: %w", err)
		}
		a.FirstSeen, a.LastSeen = a.FirstSeen.UTC(), a.LastSeen.UTC()
		out = append(out, a)
	}
	return out, rows.Err()
}
