package devservices

import (
	"os/exec"
	"runtime"
	"strings"
	"testing"
)

// recorder is a testing.TB that notes Skipf and Fatalf instead of ending
// the goroutine, so the gate's decision can be read back.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper()                          {}
func (r *recorder) Skipf(format string, args ...any) { r.skipped = format }
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = format
}

func TestGate(t *testing.T) {
	for _, c := range []struct {
		name           string
		short, offline bool
		skip, fail     bool
	}{
		{"make test", false, false, false, false},
		{"make test-unit", true, true, true, false},
		{"-short alone", true, false, true, false},
		{"offline without -short", false, true, false, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := &recorder{TB: t}
			gate(r, c.short, c.offline, "ClickHouse")
			if (r.skipped != "") != c.skip || (r.failed != "") != c.fail {
				t.Fatalf("skipped %q failed %q, want skip=%v fail=%v", r.skipped, r.failed, c.skip, c.fail)
			}
			if c.skip && !strings.Contains(r.skipped, "integration test: needs %s; run make test") {
				t.Fatalf("skip message %q does not say how to run it", r.skipped)
			}
		})
	}
}

// TestOfflineScriptRefusesToStart: with NHI_SERVICES_OFFLINE=1 the script
// starts nothing, whoever calls it (a test may exec it directly).
func TestOfflineScriptRefusesToStart(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Fatalf("services.sh runs on Linux only, not %s", runtime.GOOS)
	}
	home := t.TempDir()
	for _, cmd := range []string{"up", "up-kafka", "up-clickhouse", "up-zookeeper", "up-rt"} {
		c := exec.Command("bash", Script(), cmd)
		c.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + home, "NHI_SERVICES_HOME=" + home, OfflineEnv + "=1"}
		out, err := c.CombinedOutput()
		if err == nil || !strings.Contains(string(out), OfflineEnv+"=1") {
			t.Fatalf("services.sh %s with %s=1: err %v, output %q; want a refusal naming the variable", cmd, OfflineEnv, err, out)
		}
	}
}
