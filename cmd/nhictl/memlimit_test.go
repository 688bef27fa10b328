package main

import (
	"testing"

	"github.com/nhiradar/nhiradar/analytics/analyze"
)

// An analysis keeps to analyze.MemoryLimit unless told otherwise; -1 and
// GOMEMLIMIT leave the runtime alone.
func TestAnalyzeMemoryLimit(t *testing.T) {
	c := &analyzeCmd{}
	if got := c.memoryLimit(); got != analyze.MemoryLimit {
		t.Errorf("default limit %d, want %d", got, analyze.MemoryLimit)
	}
	c.MemoryLimit = 1 << 30
	if got := c.memoryLimit(); got != 1<<30 {
		t.Errorf("explicit limit %d, want 1 GiB", got)
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
