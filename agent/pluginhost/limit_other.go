//go:build !linux

package pluginhost

// limitMemory is a no-op off Linux (prlimit is Linux's): there the watchdog
// alone enforces the limit.
func limitMemory(int, int64) error { return nil }
