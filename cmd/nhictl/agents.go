package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/nhiradar/nhiradar/analytics/findings"
	"github.com/nhiradar/nhiradar/collector/store"
)

// errFailOn: findings at or above --fail-on exist (exit status 3).
var errFailOn = errors.New("findings at or above the --fail-on severity")

var severityRank = map[string]int{"low": 1, "medium": 2, "high": 3, "critical": 4}

// failOn returns errFailOn, wrapped with the count, when an active finding
// (neither resolved nor accepted) is at or above severity.
func failOn(severity string, fs []findings.Finding) error {
	if severity == "" {
		return nil
	}
	n := 0
	for _, f := range fs {
		if f.State != findings.Resolved && f.State != findings.Accepted && severityRank[f.Severity] >= severityRank[severity] {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	return fmt.Errorf("%d active findings at or above %s: %w", n, severity, errFailOn)
}

type agentsCmd struct {
	Stale  time.Duration `help:"An agent not heard from for this long is stale." default:"15m"`
	Output string        `help:"Output format." enum:"table,json,jsonl,csv" default:"table" short:"o"`
}

type agentRow struct {
	AgentID    string    `json:"agent_id"`
	Host       string    `json:"host"`
	Version    string    `json:"version"`
	OS         string    `json:"os"`
	FirstSeen  time.Time `json:"first_seen"`
	LastSeen   time.Time `json:"last_seen"`
	Stale      bool      `json:"stale"`
	SpoolDepth int64     `json:"spool_depth"`
	SpoolBytes int64     `json:"spool_bytes"`
	Dropped    int64     `json:"dropped"`
	CPUPercent float64   `json:"cpu_percent"`
	RSSBytes   int64     `json:"rss_bytes"`
	// Pauses counts the budget pauses since the agent started; Throttled
	// says whether its plugins are held now, and Reason by which budget.
	Pauses    int    `json:"budget_pauses"`
	Throttled bool   `json:"budget_throttled"`
	Reason    string `json:"budget_reason,omitempty"`
}

func (c *agentsCmd) Run(ctx context.Context, root *cli) error {
	st, err := root.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	rows, err := st.Conn().Query(ctx, `SELECT agent_id, host, version, os, first_seen, last_seen,
		toInt64(spool_depth), toInt64(spool_bytes), toInt64(dropped), toFloat64(cpu_percent), toInt64(rss_bytes)
		FROM `+st.Table("agents")+` ORDER BY host, agent_id`)
	if err != nil {
		return fmt.Errorf("agents: %w", root.explain(err))
	}
	defer rows.Close()
	out := []agentRow{}
	now := time.Now()
	for rows.Next() {
		var a agentRow
		if err := rows.Scan(&a.AgentID, &a.Host, &a.Version, &a.OS, &a.FirstSeen, &a.LastSeen,
			&a.SpoolDepth, &a.SpoolBytes, &a.Dropped, &a.CPUPercent, &a.RSSBytes); err != nil {
			return fmt.Errorf("agents: %w", err)
		}
		a.Stale = now.Sub(a.LastSeen) > c.Stale
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if err := budgets(ctx, st, out); err != nil {
		return err
	}
	return writeAgents(os.Stdout, c.Output, out)
}

// budgets fills in each agent's self-limit status from its latest
// heartbeat (the agents view keeps the health fields only).
func budgets(ctx context.Context, st *store.Store, as []agentRow) error {
	rows, err := st.Conn().Query(ctx, "SELECT agent_id, argMax(hb_budget_pauses, time), argMax(hb_budget_throttled, time), argMax(hb_budget_reason, time) FROM "+
		st.Table("events")+" WHERE type = 'agent_heartbeat' GROUP BY agent_id")
	if err != nil {
		return fmt.Errorf("agents: budgets: %w", err)
	}
	defer rows.Close()
	by := map[string]*agentRow{}
	for i := range as {
		by[as[i].AgentID] = &as[i]
	}
	for rows.Next() {
		var id, reason string
		var pauses int64
		var throttled uint8
		if err := rows.Scan(&id, &pauses, &throttled, &reason); err != nil {
			return fmt.Errorf("agents: budgets: %w", err)
		}
		if a := by[id]; a != nil {
			a.Pauses, a.Throttled, a.Reason = int(pauses), throttled == 1, reason
		}
	}
	return rows.Err()
}

func writeAgents(w io.Writer, format string, as []agentRow) error {
	if done, err := writeMachine(w, format, as); done {
		return err
	}
	switch format {
	case "csv":
		cw := csv.NewWriter(w)
		_ = cw.Write([]string{"agent_id", "host", "version", "os", "last_seen", "stale", "spool_depth", "dropped", "cpu_percent", "rss_bytes"})
		for _, a := range as {
			_ = cw.Write([]string{a.AgentID, a.Host, a.Version, a.OS, stamp(a.LastSeen), strconv.FormatBool(a.Stale),
				strconv.FormatInt(a.SpoolDepth, 10), strconv.FormatInt(a.Dropped, 10),
				strconv.FormatFloat(a.CPUPercent, 'f', 1, 64), strconv.FormatInt(a.RSSBytes, 10)})
		}
		cw.Flush()
		return cw.Error()
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "HOST\tAGENT\tVERSION\tLAST SEEN\tSTATE\tSPOOL\tDROPPED\tCPU %\tRSS MB\tBUDGET PAUSES")
	for _, a := range as {
		state := "ok"
		switch {
		case a.Stale:
			state = "STALE"
		case a.Throttled:
			state = "held (" + a.Reason + " budget)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%.1f\t%d\t%d\n", a.Host, a.AgentID, a.Version, stamp(a.LastSeen), state,
			a.SpoolDepth, a.Dropped, a.CPUPercent, a.RSSBytes>>20, a.Pauses)
	}
	fmt.Fprintf(tw, "\n%d agents\n", len(as))
	return tw.Flush()
}
