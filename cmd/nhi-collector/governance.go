package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/nhiradar/nhiradar/analytics/policy"
	"github.com/nhiradar/nhiradar/collector/governance"
	"github.com/nhiradar/nhiradar/collector/ingest"
	"github.com/nhiradar/nhiradar/collector/store"
)

// startGovernance joins the analyser election and, while this collector
// leads, runs the governance rounds. It returns a stop function that
// waits for the current round to end. A bad policy or settings file is a
// startup error: a collector must not run for hours without its policy.
func (c *runCmd) startGovernance(ctx context.Context, st *store.Store, reg prometheus.Registerer, log *slog.Logger) (stop func(), err error) {
	if c.AnalyzeEvery <= 0 {
		log.Info("governance rounds off in this collector (--analyze-every 0)")
		return func() {}, nil
	}
	svc, err := c.governanceService(st, reg, log)
	if err != nil {
		return nil, err
	}
	el := &governance.Elector{Brokers: c.Brokers, Topic: c.Topic + ".analyser", Group: c.Group + ".analyser",
		SessionTimeout: c.SessionTimeout, Log: log, OnLeader: func(on bool) { svc.Metrics.Leader.Set(b2f(on)) }}
	if _, err := untilUp(ctx, log, "kafka", func() (struct{}, error) {
		return struct{}{}, ingest.EnsureTopics(ctx, c.Brokers, 1, 1, el.Topic)
	}); err != nil {
		return nil, err
	}
	gctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := el.Run(gctx, svc.Lead); err != nil {
			log.Error("governance rounds stopped: the analyser election failed", "err", err)
		}
	}()
	return func() { cancel(); <-done }, nil
}

func (c *runCmd) governanceService(st *store.Store, reg prometheus.Registerer, log *slog.Logger) (*governance.Service, error) {
	p := policy.Default()
	if c.Policy != "" {
		var err error
		if p, err = policy.Load(c.Policy); err != nil {
			return nil, fmt.Errorf("policy %s: %w", c.Policy, err)
		}
	}
	settings, err := governance.LoadSettings(c.Ticketing)
	if err != nil {
		return nil, err
	}
	// Open the system once now, so that settings missing for the policy's
	// system fail at startup rather than every round.
	if _, err := governance.Connector(p, settings, st, time.Now); err != nil {
		return nil, err
	}
	outbox, err := c.outboxPath(st.Database())
	if err != nil {
		return nil, err
	}
	clock, err := c.clock()
	if err != nil {
		return nil, err
	}
	return &governance.Service{Store: st, Policy: p, Settings: settings, OutboxPath: outbox,
		Every: c.AnalyzeEvery, AfterScans: c.AnalyzeAfterScans, CompactEvery: c.CompactEvery, Metrics: governance.NewMetrics(reg), Log: log, Now: clock}, nil
}

// clock is the analysis clock: the wall clock, or the fixed --analyze-now
// that replays and tests compare runs with.
func (c *runCmd) clock() (func() time.Time, error) {
	if c.AnalyzeNow == "" {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339, c.AnalyzeNow)
	if err != nil {
		return nil, fmt.Errorf("--analyze-now: %w", err)
	}
	return func() time.Time { return t.UTC() }, nil
}

func (c *runCmd) outboxPath(db string) (string, error) {
	if c.Outbox != "" {
		return c.Outbox, nil
	}
	dir := c.StateDir
	if dir == "" {
		// systemd's StateDirectory= (a colon-separated list: the first is ours)
		dir, _, _ = strings.Cut(os.Getenv("STATE_DIRECTORY"), ":")
	}
	path, err := governance.OutboxPath(dir, db)
	if err != nil {
		return "", fmt.Errorf("%w (--outbox FILE or --state-dir DIR)", err)
	}
	return path, nil
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
