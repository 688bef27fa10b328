// Package heartbeat builds the agent's health report, sent once a minute:
// its persistent id and version, host facts from gopsutil (OS, platform,
// kernel, boot time, addresses), plugin states, spool depth and bytes, the
// count of events dropped from a full spool, and its own CPU and memory.
package heartbeat

import (
	"context"
	"fmt"
	"net"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/shirou/gopsutil/v3/host"
	"github.com/shirou/gopsutil/v3/process"

	"github.com/nhiradar/nhiradar/internal/spool"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// Source gathers what a heartbeat reports.
type Source struct {
	Version string
	Spool   func() spool.Stats
	Plugins func() []event.PluginStatus
	// Budget, when set, reports the self-limits.
	Budget func() event.Budget

	once sync.Once
	self *process.Process
	facts
}

type facts struct {
	os, platform, kernel string
	boot                 *time.Time
}

// Build returns a heartbeat event without its envelope (agent/scan's
// Complete or the caller fills it in).
func (s *Source) Build(ctx context.Context) (*event.Event, error) {
	s.once.Do(func() { s.load(ctx) })
	hb := &event.Heartbeat{Version: s.Version, OS: s.os, Platform: s.platform, Kernel: s.kernel,
		BootTime: s.boot, IPs: addresses()}
	if s.Spool != nil {
		st := s.Spool()
		hb.SpoolDepth, hb.SpoolBytes, hb.Dropped, hb.SpoolResets = st.Depth, st.Bytes, st.Dropped, st.Resets
	}
	if s.Plugins != nil {
		hb.Plugins = s.Plugins()
	}
	if s.Budget != nil {
		b := s.Budget()
		hb.Budget = &b
	}
	if s.self == nil {
		return nil, fmt.Errorf("heartbeat: own process not found")
	}
	// Percent(0) is the use since the previous call: over the last interval.
	if pct, err := s.self.PercentWithContext(ctx, 0); err == nil && pct >= 0 {
		hb.CPUPercent = pct
	}
	if mi, err := s.self.MemoryInfoWithContext(ctx); err == nil {
		hb.RSSBytes = int64(mi.RSS)
	}
	return &event.Event{Type: event.TypeAgentHeartbeat, Heartbeat: hb}, nil
}

// load reads the facts that do not change while the agent runs.
func (s *Source) load(ctx context.Context) {
	s.self, _ = process.NewProcessWithContext(ctx, int32(os.Getpid()))
	if s.self != nil {
		_, _ = s.self.PercentWithContext(ctx, 0) // start the CPU measurement
	}
	if hi, err := host.InfoWithContext(ctx); err == nil {
		s.os, s.platform, s.kernel = hi.OS, hi.Platform+" "+hi.PlatformVersion, hi.KernelVersion
		if hi.BootTime > 0 {
			b := time.Unix(int64(hi.BootTime), 0).UTC()
			s.boot = &b
		}
	}
}

// addresses lists the host's unicast addresses, loopback excluded, sorted.
func addresses() []string {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil
	}
	var out []string
	for _, i := range ifs {
		if i.Flags&net.FlagUp == 0 || i.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, err := i.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.IP.IsGlobalUnicast() {
				out = append(out, n.IP.String())
			}
		}
	}
	sort.Strings(out)
	if len(out) > 32 {
		out = out[:32]
	}
	return out
}
