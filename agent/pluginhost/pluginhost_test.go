package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nhiradar/nhiradar/internal/devservices"
	"github.com/nhiradar/nhiradar/internal/testlog"
	"github.com/nhiradar/nhiradar/plugins/sdk"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// binDir holds the plugin executables built once for the package's tests.
var binDir string

func TestMain(m *testing.M) {
	if n := os.Getenv("NHI_ALLOC_CHILD"); n != "" {
		allocChild(n)
		return
	}
	dir, err := os.MkdirTemp("", "nhi-pluginhost")
	if err != nil {
		panic(err)
	}
	binDir = dir
	root := devservices.RepoRoot()
	for name, pkg := range map[string]string{"testplugin": "./agent/pluginhost/testplugin", "credfiles": "./cmd/nhi-plugin-credfiles"} {
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, name), pkg)
		// As shipped (make build): static, so that threads are Go's and
		// the plugin's RLIMIT_DATA is not spent on 8 MiB pthread stacks.
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "building %s: %v\n%s", pkg, err, out)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func newPlugin(t *testing.T, name, exe string, spec Spec) (*Plugin, *testlog.Buffer) {
	t.Helper()
	path := filepath.Join(binDir, exe)
	sum, err := FileSHA256(path)
	if err != nil {
		t.Fatal(err)
	}
	spec.Name, spec.Path = name, path
	if spec.SHA256 == "" {
		spec.SHA256 = sum
	}
	logs := &testlog.Buffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	p := New(spec, Options{Log: log, MinBackoff: 50 * time.Millisecond, WatchInterval: 50 * time.Millisecond})
	t.Cleanup(p.Stop)
	return p, logs
}

func scanWith(p *Plugin, opts map[string]string) ([]*event.Event, error) {
	var got []*event.Event
	req := sdk.ScanRequest{Root: "/", Full: true, FingerprintKey: []byte("test-organisation-key-0001"), Now: time.Now(), Options: opts}
	err := p.Scan(context.Background(), req, func(e *event.Event) error { got = append(got, e); return nil })
	return got, err
}

func TestCredfilesPluginOverGRPC(t *testing.T) {
	p, logs := newPlugin(t, "credfiles", "credfiles", Spec{Timeout: time.Minute, MemoryLimit: 100 << 20})
	root, _ := filepath.Abs("../../cmd/e2e/testdata/host")
	var got []*event.Event
	req := sdk.ScanRequest{Root: root, Full: true, FingerprintKey: []byte("test-organisation-key-0001"), Now: time.Now()}
	if err := p.Scan(context.Background(), req, func(e *event.Event) error { got = append(got, e); return nil }); err != nil {
		t.Fatalf("scan: %v\n%s", err, logs)
	}
	kinds := map[event.Kind]int{}
	for _, e := range got {
		kinds[e.Kind]++
		if strings.Contains(fmt.Sprint(e), "h8Jq3ZrVb0Wm5Ty2Lx9Nc4Pd7Ks1Ga6Fe0Ui3Ro8") {
			t.Fatalf("raw secret in event %+v", e)
		}
	}
	if kinds[event.KindAWSAccessKey] == 0 {
		t.Fatalf("no aws_access_key from the credfiles plugin: %v", kinds)
	}
	st := p.Status()
	if st.State != StateIdle || st.LastScan == nil || st.Restarts != 0 || p.Info().Name != "credfiles" || p.Info().Version == "" || p.PID() != 0 {
		t.Fatalf("status %+v, info %+v, pid %d: want the process ended after its scan", st, p.Info(), p.PID())
	}
	// The next scan starts a new process, which is not a restart.
	if err := p.Scan(context.Background(), req, func(*event.Event) error { return nil }); err != nil || p.Status().Restarts != 0 {
		t.Fatalf("second scan: %v, status %+v", err, p.Status())
	}
}

func TestChecksumMismatchIsRefused(t *testing.T) {
	p, logs := newPlugin(t, "credfiles", "credfiles", Spec{SHA256: strings.Repeat("0", 64)})
	_, err := scanWith(p, nil)
	var f *Failure
	if !errors.As(err, &f) || !errors.Is(err, ErrChecksum) || f.Reason != ReasonRefused || !strings.Contains(err.Error(), "refusing to run it") {
		t.Fatalf("err = %v", err)
	}
	if st := p.Status(); st.State != StateRefused || p.PID() != 0 {
		t.Fatalf("status %+v, pid %d", st, p.PID())
	}
	if !strings.Contains(logs.String(), "checksum mismatch") {
		t.Fatalf("refusal not logged:\n%s", logs)
	}
}

func TestPluginLogsReachSlog(t *testing.T) {
	p, logs := newPlugin(t, "ok", "testplugin", Spec{})
	got, err := scanWith(p, map[string]string{"mode": "ok", "count": "3"})
	if err != nil || len(got) != 3 {
		t.Fatalf("scan: %d events, %v", len(got), err)
	}
	if l := logs.String(); !strings.Contains(l, "level=WARN msg=\"scan started\"") || !strings.Contains(l, "mode=ok") || !strings.Contains(l, "plugin=ok") {
		t.Fatalf("plugin log not forwarded:\n%s", l)
	}
}

func alive(pid int) bool { return pid > 0 && syscall.Kill(pid, 0) == nil }

// TestFailuresAreContained runs a plugin that panics, one that hangs and one
// that allocates without bound, each next to a healthy plugin: each bad one
// is killed with its reason and restarted on its next scan; the healthy one
// keeps returning its events.
func TestFailuresAreContained(t *testing.T) {
	cases := []struct {
		mode, reason string
		spec         Spec
	}{
		{"panic", ReasonCrash, Spec{Timeout: time.Minute}},
		{"hang", ReasonTimeout, Spec{Timeout: 2 * time.Second}},
		{"hog", ReasonMemory, Spec{Timeout: time.Minute, MemoryLimit: 64 << 20}},
	}
	for _, tc := range cases {
		t.Run(tc.mode, func(t *testing.T) {
			t.Parallel()
			bad, logs := newPlugin(t, tc.mode, "testplugin", tc.spec)
			good, _ := newPlugin(t, "good-"+tc.mode, "testplugin", Spec{Timeout: time.Minute})
			var wg sync.WaitGroup
			var goodEvents int
			var goodErr error
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 3; i++ {
					got, err := scanWith(good, map[string]string{"mode": "ok", "count": "5"})
					goodEvents += len(got)
					goodErr = errors.Join(goodErr, err)
				}
			}()
			for round := 1; round <= 2; round++ {
				_, err := scanWith(bad, map[string]string{"mode": tc.mode})
				var f *Failure
				if !errors.As(err, &f) || f.Reason != tc.reason {
					t.Fatalf("round %d: err = %v, want a %s failure\n%s", round, err, tc.reason, logs)
				}
				st := bad.Status()
				if st.State != StateBackoff || st.LimitReached != tc.reason || st.Restarts != round-1 || bad.PID() != 0 {
					t.Fatalf("round %d: status %+v", round, st)
				}
				// Wait out the backoff (50ms) before the restart.
				time.Sleep(100 * time.Millisecond)
			}
			if !strings.Contains(logs.String(), "reason="+tc.reason) {
				t.Fatalf("reason %s not logged:\n%s", tc.reason, logs)
			}
			wg.Wait()
			if goodErr != nil || goodEvents != 15 {
				t.Fatalf("healthy plugin: %d events, %v", goodEvents, goodErr)
			}
		})
	}
}

func TestNoRestartDuringBackoff(t *testing.T) {
	p, _ := newPlugin(t, "panic", "testplugin", Spec{})
	p.opts.MinBackoff = time.Hour
	if _, err := scanWith(p, map[string]string{"mode": "panic"}); err == nil {
		t.Fatal("panic not reported")
	}
	_, err := scanWith(p, map[string]string{"mode": "ok"})
	if !errors.Is(err, ErrBackoff) || p.PID() != 0 {
		t.Fatalf("second scan during backoff: %v, pid %d", err, p.PID())
	}
}

func TestStopKillsProcess(t *testing.T) {
	p, _ := newPlugin(t, "ok", "testplugin", Spec{KeepRunning: true})
	if _, err := scanWith(p, map[string]string{"mode": "ok"}); err != nil {
		t.Fatal(err)
	}
	pid := p.PID()
	if !alive(pid) {
		t.Fatalf("plugin pid %d not running after a scan", pid)
	}
	p.Stop()
	if err := devservices.WaitFor(context.Background(), 10*time.Second, func() (bool, error) { return !alive(pid), nil }); err != nil {
		t.Fatalf("plugin pid %d still running after Stop", pid)
	}
}
