package main

import (
	"testing"
	"time"

	"github.com/nhiradar/nhiradar/analytics/analyze"
)

// TestMemoryLimit: the default follows the batch size and, in a collector
// that analyses, adds an analysis's share (memlimit.Choose's own test
// covers the flag and GOMEMLIMIT).
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
}
