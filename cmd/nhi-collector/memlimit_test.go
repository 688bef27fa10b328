package main

import (
	"testing"
	"time"

	"github.com/nhiradar/nhiradar/analytics/analyze"
)

// TestMemoryLimit: the default follows the batch size and, in a collector
// that analyses, adds an analysis's share; an explicit value wins, -1 and
// GOMEMLIMIT leave the runtime alone.
func TestMemoryLimit(t *testing.T) {
	c := &runCmd{BatchBytes: 32 << 20}
	if got := c.memoryLimit(); got != 192<<20 {
		t.Errorf("default limit %d, want 192 MiB", got)
	}
	c.AnalyzeEvery = time.Minute
	if got := c.memoryLimit(); got != 192<<20+analyze.MemoryLimit {
		t.Errorf("default limit of an analysing collector %d, want 192 MiB + %d", got, analyze.MemoryLimit)
	}
	c.MemoryLimit = 300 << 20
	if got := c.memoryLimit(); got != 300<<20 {
		t.Errorf("explicit limit %d, want 300 MiB", got)
	}
	c.MemoryLimit = -1
	if got := c.memoryLimit(); got != 0 {
		t.Errorf("-1 gives %d, want no limit", got)
	}
	c.MemoryLimit = 0
	t.Setenv("GOMEMLIMIT", "1GiB")
	if got := c.memoryLimit(); got != 0 {
		t.Errorf("with GOMEMLIMIT set the limit is %d, want none set by the flag", got)
	}
}
