package pluginhost

import (
	"bytes"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// The memory limit is enforced three ways, each catching what the one
// before misses:
//
//   - GOMEMLIMIT at 80% of the limit makes a Go plugin's garbage collector
//     work harder as it nears the limit, so a plugin with a passing peak
//     is not killed for garbage it had not collected yet;
//   - RLIMIT_DATA at the limit above what the plugin mapped at its start
//     (limit_linux.go says why not at the limit itself) makes the kernel
//     refuse allocations past it: a plugin that allocates gigabytes
//     between two samples of the watchdog fails its allocation and dies,
//     instead of pushing the host into swap or the OOM killer;
//   - the watchdog (scan.go) samples the resident size and kills a plugin
//     over the limit, which also covers systems without RLIMIT_DATA.
//
// A per-plugin cgroup (memory.max) would bound the page cache and the
// kernel memory a plugin causes as well, but it needs a delegated cgroup v2
// subtree (systemd Delegate=yes) that the agent cannot count on: packages
// install it under OpenRC and SysV init too, and a container may not
// delegate. RLIMIT_DATA works for any process the agent starts, with no
// privilege, and so is what the agent relies on.

// memoryEnv returns env with GOMEMLIMIT set to 80% of limit, replacing any
// GOMEMLIMIT meant for the agent itself.
func memoryEnv(env []string, limit int64) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if !strings.HasPrefix(kv, "GOMEMLIMIT=") {
			out = append(out, kv)
		}
	}
	return append(out, "GOMEMLIMIT="+strconv.FormatInt(limit/5*4, 10))
}

// oomMarks are what runtimes print when an allocation fails (Go, Rust,
// strerror(ENOMEM), C++), in lower case.
var oomMarks = [][]byte{[]byte("out of memory"), []byte("memory allocation of"),
	[]byte("cannot allocate memory"), []byte("std::bad_alloc")}

// oomWatch receives the plugin's raw stderr and remembers whether the
// plugin said it ran out of memory: with RLIMIT_DATA such a plugin dies of
// a failed allocation, which is its memory limit and not a crash.
type oomWatch struct{ seen atomic.Bool }

func (w *oomWatch) Write(p []byte) (int, error) {
	lower := bytes.ToLower(p)
	for _, m := range oomMarks {
		if bytes.Contains(lower, m) {
			w.seen.Store(true)
		}
	}
	return len(p), nil
}

// outOfMemory tells whether the process died of a failed allocation. It
// waits a little for the process to be reaped: go-plugin marks it exited
// only once its stderr is read to the end, so the dying words are in.
func (pr *process) outOfMemory() bool {
	deadline := time.Now().Add(2 * time.Second)
	for !pr.client.Exited() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	return pr.oom.seen.Load()
}
