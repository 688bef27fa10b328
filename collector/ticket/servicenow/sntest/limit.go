package sntest

import (
	"io"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Limiter is a token bucket in front of a handler, as an instance's rate
// limit rule: Rate requests per second with a burst of one second's worth;
// beyond it, 429 with Retry-After (whole seconds, as HTTP allows) and
// ServiceNow's error body. It wraps the server rather than changing it, so
// the contract tests see the server as it is.
type Limiter struct {
	next http.Handler
	rate float64
	cap  float64
	now  func() time.Time

	mu       sync.Mutex
	tokens   float64
	last     time.Time
	allowed  map[string]int // by method
	rejected int
}

// NewLimiter allows rate requests per second to next.
func NewLimiter(next http.Handler, rate int) *Limiter {
	l := &Limiter{next: next, rate: float64(rate), cap: float64(rate), now: time.Now, allowed: map[string]int{}}
	l.tokens, l.last = l.cap, l.now()
	return l
}

// ServeHTTP serves the request or answers 429.
func (l *Limiter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	wait, ok := l.take(r.Method)
	if ok {
		l.next.ServeHTTP(w, r)
		return
	}
	// Round up: a client that waits what it is told finds a token.
	secs := int(math.Ceil(wait.Seconds()))
	w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
	w.Header().Set("X-RateLimit-Limit", strconv.Itoa(int(l.rate)))
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusTooManyRequests)
	_, _ = io.WriteString(w, RateLimitBody)
}

// take spends a token, or says how long until one is there.
func (l *Limiter) take(method string) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.tokens = min(l.cap, l.tokens+now.Sub(l.last).Seconds()*l.rate)
	l.last = now
	if l.tokens >= 1 {
		l.tokens--
		l.allowed[method]++
		return 0, true
	}
	l.rejected++
	return time.Duration((1 - l.tokens) / l.rate * float64(time.Second)), false
}

// Counts returns the requests let through, by method, and those refused.
func (l *Limiter) Counts() (allowed map[string]int, rejected int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string]int, len(l.allowed))
	for k, v := range l.allowed {
		out[k] = v
	}
	return out, l.rejected
}

// Burst is how many requests the full bucket lets through at once.
func (l *Limiter) Burst() int { return int(l.cap) }
