package agent

import (
	"runtime"
	"runtime/debug"
	"sync"
	"time"
)

// memoryReturner gives the host back what a scan or a backlog used, once
// the agent has been quiet for a moment, rather than keep it until the next
// scan: an idle agent on someone else's host should be small. Calls during a
// burst of activity postpone the return, so a long scan pays for it once.
type memoryReturner struct {
	After time.Duration
	// Spool, when set, also releases the spool file's mapped pages.
	Spool interface{ Release() error }

	mu     sync.Mutex
	t      *time.Timer
	closed bool
}

// Soon returns memory After from now, unless called again before then.
func (m *memoryReturner) Soon() {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case m.closed:
	case m.t == nil:
		m.t = time.AfterFunc(m.After, m.returnMemory)
	default:
		m.t.Reset(m.After)
	}
}

// Stop cancels a pending return.
func (m *memoryReturner) Stop() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	if m.t != nil {
		m.t.Stop()
	}
}

// returnMemory releases the spool's mapped pages, then collects twice,
// because the first collection only moves pooled buffers (compression,
// encoding) to the pools' victim caches and the second frees them, and hands
// free pages back to the kernel.
func (m *memoryReturner) returnMemory() {
	if m.Spool != nil {
		_ = m.Spool.Release() // only memory is at stake, and the next return tries again
	}
	runtime.GC()
	debug.FreeOSMemory()
}
