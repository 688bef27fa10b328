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
		m.t = time.AfterFunc(m.After, returnMemory)
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

// returnMemory collects twice, because the first collection only moves
// pooled buffers (compression, encoding) to the pools' victim caches and the
// second frees them, then hands free pages back to the kernel.
func returnMemory() {
	runtime.GC()
	debug.FreeOSMemory()
}
