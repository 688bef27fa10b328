package pluginhost

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// limitMemory sets pid's RLIMIT_DATA (its heap and other private writable
// mappings) so that it can grow them by at most limit bytes past what it
// has mapped now, just started: an allocation past that fails.
//
// The limit counts address space, not resident memory, and a process maps
// much it never touches: a static Go plugin starts with about 70 MiB of
// data mappings for 15 MiB resident (zeroed BSS, the heap's reserved
// metadata), a cgo one with 8 MiB per thread stack on top. A limit of the
// resident budget itself would refuse healthy plugins at their first
// allocation; one of the budget above the start keeps every allocation the
// plugin makes within it.
func limitMemory(pid int, limit int64) error {
	base, err := dataMapped(pid)
	if err != nil {
		return err
	}
	n := uint64(base + limit)
	return unix.Prlimit(pid, unix.RLIMIT_DATA, &unix.Rlimit{Cur: n, Max: n}, nil)
}

// dataMapped returns what RLIMIT_DATA counts for pid now (VmData).
func dataMapped(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("data size of pid %d: %w", pid, err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmData:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("data size of pid %d: %q: %w", pid, v, err)
			}
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("data size of pid %d: no VmData in /proc/%d/status", pid, pid)
}

// dieWithAgent has the kernel kill the plugin when the agent dies, even by
// SIGKILL or the OOM killer, when no deferred Stop runs: in its own process
// group the plugin would otherwise run on, outside every agent limit. The
// signal follows the death of the thread that started the plugin, and Go
// ends a thread only when a goroutine exits locked to it, which neither
// the agent nor go-plugin does.
func dieWithAgent(cmd *exec.Cmd) {
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
}
