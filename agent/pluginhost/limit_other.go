//go:build !linux

package pluginhost

import "os/exec"

// limitMemory is a no-op off Linux (prlimit is Linux's): there the watchdog
// alone enforces the limit.
func limitMemory(int, int64) error { return nil }

// dieWithAgent is Linux's parent-death signal; elsewhere a plugin outlives
// an agent killed without its deferred Stop.
func dieWithAgent(*exec.Cmd) {}
