package governance

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/nhiradar/nhiradar/collector/ingest"
	"github.com/nhiradar/nhiradar/internal/devservices"
	"github.com/nhiradar/nhiradar/internal/testlog"
)

// leaders records who leads and fails the test if two ever do at once.
type leaders struct {
	t       *testing.T
	mu      sync.Mutex
	current []string
	overlap bool
	terms   int
}

func (l *leaders) lead(name string) func(context.Context) {
	return func(ctx context.Context) {
		l.mu.Lock()
		l.current = append(l.current, name)
		l.overlap = l.overlap || len(l.current) > 1
		l.terms++
		l.mu.Unlock()
		<-ctx.Done()
		l.mu.Lock()
		for i, n := range l.current {
			if n == name {
				l.current = append(l.current[:i], l.current[i+1:]...)
				break
			}
		}
		l.mu.Unlock()
	}
}

// only returns the single leader ("" when none or several).
func (l *leaders) only() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.current) != 1 {
		return ""
	}
	return l.current[0]
}

func (l *leaders) waitFor(cond func(string) bool, within time.Duration) string {
	l.t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if who := l.only(); cond(who) {
			return who
		}
		time.Sleep(50 * time.Millisecond)
	}
	l.t.Fatalf("no single leader matching within %s (now %v)", within, l.current)
	return ""
}

// TestElectorOneLeaderAndTakeover: of two members exactly one leads;
// when it stops, the other leads within the session timeout, and the two
// never lead at once.
func TestElectorOneLeaderAndTakeover(t *testing.T) {
	broker := devservices.KafkaBroker(t)
	topic := devservices.UniqueName("nhi_elect")
	ctx := context.Background()
	if err := ingest.EnsureTopics(ctx, []string{broker}, 1, 1, topic); err != nil {
		t.Fatal(err)
	}
	const session = 6 * time.Second
	l := &leaders{t: t}
	cancels := map[string]context.CancelFunc{}
	var wg sync.WaitGroup
	for _, name := range []string{"a", "b"} {
		mctx, cancel := context.WithCancel(ctx)
		cancels[name] = cancel
		el := &Elector{Brokers: []string{broker}, Topic: topic, Group: topic, SessionTimeout: session, Log: bufLog(&testlog.Buffer{})}
		wg.Add(1)
		go func() { defer wg.Done(); _ = el.Run(mctx, l.lead(name)) }()
	}
	t.Cleanup(func() {
		for _, c := range cancels {
			c()
		}
		wg.Wait()
	})
	first := l.waitFor(func(w string) bool { return w != "" }, 60*time.Second)
	// Let both members settle in the group, then check the leader held.
	time.Sleep(2 * session)
	first = l.waitFor(func(w string) bool { return w != "" }, 30*time.Second)
	other := map[string]string{"a": "b", "b": "a"}[first]
	cancels[first]()
	start := time.Now()
	l.waitFor(func(w string) bool { return w == other }, 2*session)
	t.Logf("%s took over from %s in %s", other, first, time.Since(start))
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.overlap {
		t.Fatal("two members led at the same time")
	}
}

func bufLog(b *testlog.Buffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
