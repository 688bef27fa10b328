package selflimit

import (
	"os"
	"time"

	"github.com/shirou/gopsutil/v3/process"
)

// pause cannot stop a running plugin on Windows (no SIGSTOP): over budget,
// the agent only holds back new scans.
func pause(int) bool { return false }

func resume(int) {}

// ownCPU returns the agent's CPU time so far.
func ownCPU() (time.Duration, bool) {
	p, err := process.NewProcess(int32(os.Getpid()))
	if err != nil {
		return 0, false
	}
	t, err := p.Times()
	if err != nil {
		return 0, false
	}
	return time.Duration((t.User + t.System) * float64(time.Second)), true
}
