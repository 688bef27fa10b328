package pluginhost

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// runAllocChild starts the stand-in plugin with the environment of a
// plugin under limit, applies the rlimit when limited, lets it allocate
// twice the limit (beyond what it mapped at its start) and returns its GOMEMLIMIT, its output and how it ended.
func runAllocChild(t *testing.T, limit int64, limited bool) (gomemlimit int64, stdout, stderr string, err error) {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(memoryEnv(append(os.Environ(), "GOMEMLIMIT=1GiB"), limit), "NHI_ALLOC_CHILD="+strconv.FormatInt(2*limit, 10))
	in, perr := cmd.StdinPipe()
	if perr != nil {
		t.Fatal(perr)
	}
	out, perr := cmd.StdoutPipe()
	if perr != nil {
		t.Fatal(perr)
	}
	var errBuf bytes.Buffer
	cmd.Stderr = &errBuf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(out)
	first, _ := r.ReadString('\n')
	if _, err := fmt.Sscanf(first, "gomemlimit %d", &gomemlimit); err != nil {
		cmd.Process.Kill()
		t.Fatalf("child said %q: %v\n%s", first, err, errBuf.String())
	}
	if limited {
		if err := limitMemory(cmd.Process.Pid, limit); err != nil {
			cmd.Process.Kill()
			t.Fatalf("limitMemory: %v", err)
		}
	}
	_, _ = io.WriteString(in, "go\n")
	rest, _ := io.ReadAll(r)
	err = cmd.Wait()
	return gomemlimit, string(rest), errBuf.String(), err
}

// TestMemoryLimitIsEnforcedByTheKernel: a process under the plugin's
// memory limit that allocates twice the limit fails its allocation and
// dies, before any watchdog could sample it; the same process without the
// rlimit succeeds, so the limit is what stopped it. Its Go runtime took
// GOMEMLIMIT at 80% of the limit, not the agent's own.
func TestMemoryLimitIsEnforcedByTheKernel(t *testing.T) {
	const limit = 96 << 20
	gml, out, errOut, err := runAllocChild(t, limit, true)
	if gml != limit/5*4 {
		t.Errorf("child's GOMEMLIMIT = %d, want %d (80%% of the limit)", gml, limit/5*4)
	}
	if err == nil || strings.Contains(out, "allocated") || !strings.Contains(errOut, "out of memory") {
		t.Fatalf("limited child: err %v, stdout %q, stderr:\n%.600s", err, out, errOut)
	}
	w := &oomWatch{}
	_, _ = w.Write([]byte(errOut))
	if !w.seen.Load() {
		t.Fatalf("oomWatch does not recognise the child's dying words:\n%.600s", errOut)
	}
	_, out, errOut, err = runAllocChild(t, limit, false)
	if err != nil || !strings.Contains(out, "allocated") {
		t.Fatalf("unlimited child: err %v, stdout %q, stderr:\n%.600s", err, out, errOut)
	}
}

// TestPluginStartsUnderItsLimits: a plugin process the host started has
// RLIMIT_DATA at its memory limit and GOMEMLIMIT at 80% of it.
func TestPluginStartsUnderItsLimits(t *testing.T) {
	const limit = 64 << 20
	p, logs := newPlugin(t, "ok", "testplugin", Spec{KeepRunning: true, MemoryLimit: limit})
	if _, err := scanWith(p, map[string]string{"mode": "ok"}); err != nil {
		t.Fatalf("scan: %v\n%s", err, logs)
	}
	pid := p.PID()
	limits, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", pid))
	if err != nil {
		t.Fatal(err)
	}
	var soft, hard int64
	for _, l := range strings.Split(string(limits), "\n") {
		if rest, ok := strings.CutPrefix(l, "Max data size"); ok {
			fmt.Sscan(rest, &soft, &hard)
		}
	}
	// The limit is the budget above what the plugin mapped at its start,
	// which for a static Go plugin is well under 256 MiB.
	if soft != hard || soft <= limit || soft > limit+256<<20 {
		t.Fatalf("plugin pid %d data limit %d/%d, want the same, above %d by under 256 MiB:\n%s", pid, soft, hard, limit, limits)
	}
	env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(env, []byte("GOMEMLIMIT=")); n != 1 || !bytes.Contains(append([]byte{0}, env...), []byte("\x00GOMEMLIMIT="+strconv.Itoa(limit/5*4)+"\x00")) {
		t.Fatalf("plugin environment has %d GOMEMLIMIT, want one at %d:\n%q", n, limit/5*4, env)
	}
}
