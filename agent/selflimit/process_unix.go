//go:build unix

package selflimit

import (
	"syscall"
	"time"
)

// pause stops the process group a plugin leads (the plugin host starts
// each plugin in its own group), else the process alone.
func pause(pid int) bool { return signalGroup(pid, syscall.SIGSTOP) }

// resume continues what pause stopped.
func resume(pid int) { signalGroup(pid, syscall.SIGCONT) }

func signalGroup(pid int, sig syscall.Signal) bool {
	if syscall.Kill(-pid, sig) == nil {
		return true
	}
	return syscall.Kill(pid, sig) == nil
}

// ownCPU returns the agent's CPU time so far: one system call.
func ownCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
