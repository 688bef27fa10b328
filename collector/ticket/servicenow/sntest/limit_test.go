package sntest

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestLimiter: a full bucket lets a burst of one second through, then
// answers 429 with a Retry-After that, waited out, lets the next one in.
func TestLimiter(t *testing.T) {
	clock := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	served := 0
	l := NewLimiter(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { served++ }), 10)
	l.now = func() time.Time { return clock }
	l.last = clock
	get := func() *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		l.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/api/now/table/incident", nil))
		return w
	}
	for i := 0; i < 10; i++ {
		if w := get(); w.Code != http.StatusOK {
			t.Fatalf("request %d of the burst: %d", i, w.Code)
		}
	}
	w := get()
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "1" || w.Body.String() != RateLimitBody {
		t.Fatalf("beyond the burst: %d, Retry-After %q, body %q", w.Code, w.Header().Get("Retry-After"), w.Body.String())
	}
	clock = clock.Add(100 * time.Millisecond) // one token at 10/s
	if w := get(); w.Code != http.StatusOK {
		t.Fatalf("after a token's time: %d", w.Code)
	}
	if w := get(); w.Code != http.StatusTooManyRequests {
		t.Fatalf("the token was spent: %d", w.Code)
	}
	allowed, rejected := l.Counts()
	if served != 11 || allowed[http.MethodGet] != 11 || rejected != 2 {
		t.Errorf("served %d, counted %v allowed and %d refused; want 11, 11, 2", served, allowed, rejected)
	}
}
