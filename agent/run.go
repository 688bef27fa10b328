package agent

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/nhiradar/nhiradar/agent/config"
	"github.com/nhiradar/nhiradar/agent/heartbeat"
	"github.com/nhiradar/nhiradar/agent/publish"
	"github.com/nhiradar/nhiradar/agent/scan"
	"github.com/nhiradar/nhiradar/agent/schedule"
	"github.com/nhiradar/nhiradar/agent/selflimit"
	"github.com/nhiradar/nhiradar/internal/spool"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
	"github.com/nhiradar/nhiradar/plugins/sdk/secret"
)

// Run runs the agent until ctx ends: scheduler → plugin host → spool →
// publisher, under the self-limits, with a heartbeat every interval.
func Run(ctx context.Context, cfg *config.Config, version string, log *slog.Logger) error {
	agentID, err := config.AgentID(cfg.StateDir, log)
	if err != nil {
		return err
	}
	key, err := cfg.FingerprintKey.Read()
	if err != nil {
		return fmt.Errorf("fingerprint key (%s): %w", cfg.FingerprintKey.Where(), err)
	}
	if len(key) < secret.MinKeyBytes {
		return fmt.Errorf("fingerprint key (%s): %d bytes, need at least %d", cfg.FingerprintKey.Where(), len(key), secret.MinKeyBytes)
	}
	pubCfg, err := publisherConfig(cfg)
	if err != nil {
		return err
	}
	host := hostName(cfg)
	sp, err := spool.Open(filepath.Join(cfg.StateDir, "spool.db"), cfg.Spool.MaxBytes, log)
	if err != nil {
		return err
	}
	defer sp.Close()
	log = log.With("agent_id", agentID)
	plugins, entries, err := hostPlugins(cfg, log)
	if err != nil {
		return err
	}
	defer func() {
		for _, p := range plugins {
			p.Stop()
		}
	}()
	sink := newSpoolSink(sp)
	defer sink.Flush()
	memory := &memoryReturner{After: 2 * time.Second, Spool: sp}
	defer memory.Stop()
	limiter := &selflimit.Limiter{Log: log, Budget: selflimit.Budget{CPUPercent: cfg.Limits.CPUPercent,
		Window: cfg.Limits.CPUWindow.Duration, ReadBytesPerSecond: cfg.Limits.ReadBytesPerSecond},
		Plugins: func() []int { return pids(plugins) }}
	runner := &scan.Runner{AgentID: agentID, Host: host, Root: cfg.Root, FingerprintKey: key, Log: log}
	sched := &schedule.Scheduler{Runner: runner, Entries: entries, Sink: sink.Put, Log: log, Gate: limiter.Wait,
		StartDelay: startDelay(entries),
		OnResult: func(scan.Result, bool) {
			if err := sink.Flush(); err != nil {
				log.Error("spool write failed", "err", err)
			}
			memory.Soon()
		}}
	drainer := &publish.Drainer{Queue: sp, Config: pubCfg, Log: log, OnDrained: memory.Soon}
	hb := &heartbeat.Source{Version: version, Spool: sp.Stats, Plugins: func() []event.PluginStatus { return statuses(plugins) },
		Budget: func() event.Budget {
			st := limiter.Stats()
			return event.Budget{CPUPercent: st.CPUPercent, ReadBytesPerSecond: st.ReadBytesPerSecond,
				Throttled: st.Throttled, Pauses: st.Pauses, Reason: st.Reason}
		}}

	log.Info("agent started", "version", version, "host", host, "plugins", len(plugins), "brokers", strings.Join(cfg.Brokers, ","), "topic", cfg.Topic)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errc := make(chan error, 1)
	run := func(f func()) { wg.Add(1); go func() { defer wg.Done(); f() }() }
	run(func() { limiter.Run(ctx) })
	run(func() { sched.Run(ctx) })
	run(func() {
		if err := drainer.Run(ctx); err != nil {
			// The spool cannot be read: nothing found can be delivered, so
			// stop and let the service manager restart the agent.
			errc <- err
			cancel()
		}
	})
	run(func() { beat(ctx, hb, runner, sink, cfg.HeartbeatInterval.Duration, log) })
	wg.Wait()
	log.Info("agent stopped")
	select {
	case err := <-errc:
		return err
	default:
		return nil
	}
}

// beat spools a heartbeat at start and every interval.
func beat(ctx context.Context, hb *heartbeat.Source, r *scan.Runner, sink *spoolSink, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	var dropped int64 = -1
	for {
		if st := hb.Spool(); dropped >= 0 && st.Dropped > dropped {
			log.Warn("spool full: oldest events dropped", "dropped", st.Dropped-dropped, "dropped_total", st.Dropped,
				"spool_bytes", st.Bytes, "spool_depth", st.Depth)
			dropped = st.Dropped
		} else if dropped < 0 {
			dropped = st.Dropped
		}
		e, err := hb.Build(ctx)
		if err == nil {
			e.Complete(r.AgentID, r.Host, time.Now())
			err = sink.Put(ctx, e)
		}
		if err == nil {
			err = sink.Flush()
		}
		if err != nil {
			log.Error("heartbeat failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// startDelay spreads the first scans of a fleet that starts at once (after
// a package upgrade): up to the smallest jittered share of an interval, at
// most 30s.
func startDelay(es []schedule.Entry) time.Duration {
	d := 30 * time.Second
	for _, e := range es {
		d = min(d, time.Duration(e.Jitter*float64(e.Interval)))
	}
	return d
}

func hostName(cfg *config.Config) string {
	if cfg.Host != "" {
		return cfg.Host
	}
	h, _ := os.Hostname()
	return h
}
