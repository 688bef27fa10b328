//go:build unix

package pluginhost

import (
	"os/exec"
	"syscall"
)

// ownGroup starts the plugin in a process group of its own, so that a
// signal to the agent's terminal does not reach the plugin before the agent
// decides, and the self-limits can stop and continue the whole group.
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// killNow ends pid without grace.
func killNow(pid int) { _ = syscall.Kill(pid, syscall.SIGKILL) }
