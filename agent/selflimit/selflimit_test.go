package selflimit

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// procState returns the state letter of pid from /proc (R, S, T, …).
func procState(t *testing.T, pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return f[0]
}

// TestCPUBudgetStopsAndContinuesPlugin runs a CPU-bound child standing for
// a plugin under a 10% budget: the limiter stops it, holds back new scans
// while over budget, and continues it when it ends.
func TestCPUBudgetStopsAndContinuesPlugin(t *testing.T) {
	if os.Getenv("NHI_SELFLIMIT_BURN") != "" {
		for {
		}
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestCPUBudgetStopsAndContinuesPlugin$")
	cmd.Env = append(os.Environ(), "NHI_SELFLIMIT_BURN=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	t.Cleanup(func() { _ = syscall.Kill(-pid, syscall.SIGKILL); _ = cmd.Wait() })

	l := &Limiter{Budget: Budget{CPUPercent: 10, Window: time.Second}, Tick: 50 * time.Millisecond,
		Plugins: func() []int { return []int{pid} }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.Run(ctx); close(done) }()

	stopped := false
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && !stopped; time.Sleep(20 * time.Millisecond) {
		stopped = procState(t, pid) == "T"
	}
	st := l.Stats()
	if !stopped || st.Pauses == 0 || st.Reason != "cpu" {
		t.Fatalf("burning child never stopped: stats %+v", st)
	}
	wctx, wcancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer wcancel()
	if err := l.Wait(wctx); err != nil {
		t.Fatalf("Wait never returned under budget: %v, %+v", err, l.Stats())
	}
	cancel()
	<-done
	if s := procState(t, pid); s == "T" {
		t.Fatalf("child still stopped after the limiter ended (state %s)", s)
	}
}

func TestIdleAgentIsNotThrottled(t *testing.T) {
	l := &Limiter{Budget: Budget{CPUPercent: 50, Window: time.Second, ReadBytesPerSecond: 1 << 30}, Tick: 50 * time.Millisecond}
	l.init()
	for i := 0; i < 5; i++ {
		l.sample()
	}
	if st := l.Stats(); st.Throttled || st.Pauses != 0 {
		t.Fatalf("idle test process throttled: %+v", st)
	}
}

func TestBudgetNamesTheLimitThatFired(t *testing.T) {
	b := Budget{CPUPercent: 5, ReadBytesPerSecond: 1 << 20}
	cases := []struct {
		cpu, read float64
		want      string
	}{
		{4.9, 1 << 19, ""},
		{5.1, 0, "cpu"},
		{1, 2 << 20, "io"},
		{9, 2 << 20, "cpu"},
	}
	for _, c := range cases {
		if got := b.over(c.cpu, c.read); got != c.want {
			t.Errorf("over(%v%%, %v B/s) = %q, want %q", c.cpu, c.read, got, c.want)
		}
	}
	if got := (Budget{}).over(100, 1<<40); got != "" {
		t.Errorf("zero budget enforced %q", got)
	}
}

// TestBudgetHeldOverEveryWindow drives the limiter's control law with a
// simulated plugin that uses a whole core whenever it is not stopped: over
// every window the plugin and agent together stay within the budget, and
// the plugin still gets most of it.
func TestBudgetHeldOverEveryWindow(t *testing.T) {
	const tick = 250 * time.Millisecond
	l := &Limiter{Budget: Budget{CPUPercent: 5, Window: time.Minute}, Tick: tick}
	l.init()
	budget := 3 * time.Second // 5% of a minute
	perWindow := int(time.Minute / tick)
	var used []time.Duration
	for i := 0; i < 5*perWindow; i++ {
		own := time.Millisecond / 2 // the agent itself: 0.2% of a core
		u := own
		if !l.stats.Throttled {
			u += tick
		}
		if i == 0 {
			u += 400 * time.Millisecond // start-up of agent and plugin
		}
		used = append(used, u)
		l.mu.Lock()
		l.record(usage{cpu: u, self: own}, nil)
		l.mu.Unlock()
	}
	for end := perWindow; end <= len(used); end++ {
		var sum time.Duration
		for _, u := range used[end-perWindow : end] {
			sum += u
		}
		if sum > budget {
			t.Fatalf("window ending at tick %d used %v, budget %v", end, sum, budget)
		}
		if end > 2*perWindow && sum < budget*8/10 {
			t.Fatalf("window ending at tick %d used only %v of %v: the plugin is starved", end, sum, budget)
		}
	}
	if l.stats.Pauses < 2 {
		t.Fatalf("pauses = %d", l.stats.Pauses)
	}
}

// TestAgentBurstDoesNotStarvePlugins: a start-up during which the agent
// itself is busy (plugin starts, TLS keys) must not hold the plugins back
// for long: they run again within a few seconds, and the window still
// holds the budget.
func TestAgentBurstDoesNotStarvePlugins(t *testing.T) {
	const tick = 250 * time.Millisecond
	l := &Limiter{Budget: Budget{CPUPercent: 5, Window: time.Minute}, Tick: tick}
	l.init()
	ran := 0
	var window []time.Duration
	for i := 0; i < 240; i++ {
		own := time.Millisecond / 2
		if i < 8 {
			own = 60 * time.Millisecond // two seconds of a busy agent
		}
		u := own
		if !l.stats.Throttled {
			u += tick / 4 // a plugin that would use a quarter of a core
			if i >= 8 {
				ran++
			}
		}
		window = append(window, u)
		l.mu.Lock()
		l.record(usage{cpu: u, self: own}, nil)
		l.mu.Unlock()
	}
	var sum time.Duration
	for _, u := range window {
		sum += u
	}
	if sum > 3*time.Second+3*time.Second/20 {
		t.Fatalf("the first minute used %v for a 3s budget", sum)
	}
	if ran < 20 {
		t.Fatalf("after the agent's burst the plugin ran in only %d of 232 ticks", ran)
	}
}
