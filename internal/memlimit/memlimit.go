// Package memlimit decides a process's soft memory limit from its
// --memory-limit flag: without one the Go heap grows to twice what is live
// before a collection, and the services here know what they hold.
package memlimit

import (
	"os"
	"runtime/debug"
)

// Choose is the soft limit to set, 0 for none: none when GOMEMLIMIT is in
// the environment (it wins) or flag is negative, flag when positive, else
// the process's default.
func Choose(flag, byDefault int64) int64 {
	switch {
	case os.Getenv("GOMEMLIMIT") != "" || flag < 0:
		return 0
	case flag > 0:
		return flag
	}
	return byDefault
}

// Set applies a limit Choose returned; 0 leaves the runtime alone.
func Set(limit int64) {
	if limit > 0 {
		debug.SetMemoryLimit(limit)
	}
}
