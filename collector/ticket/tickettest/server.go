// Package tickettest is the conformance suite every ticket connector runs
// against its contract server: create-if-absent, comment, close, reopen, the
// error contract (401, 429, 5xx, slow answers) and a no-secret-leak check
// over every request the connector sent.
package tickettest

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// Recorded is one request as the contract server received it.
type Recorded struct {
	Method string
	URL    string
	Header http.Header
	Body   []byte
}

// Fault is a canned answer served instead of the contract server's own.
type Fault struct {
	Status int
	Header map[string]string
	Body   string
	Delay  time.Duration // wait before answering (slow responses)
}

// Server wraps a contract handler: it records every request and serves
// injected faults first, in order.
type Server struct {
	*httptest.Server
	mu     sync.Mutex
	reqs   []Recorded
	faults []Fault
}

// NewServer starts h behind the recorder; it is closed with t.
func NewServer(t testing.TB, h http.Handler) *Server {
	s := &Server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		s.mu.Lock()
		s.reqs = append(s.reqs, Recorded{Method: r.Method, URL: r.URL.String(), Header: r.Header.Clone(), Body: body})
		var f *Fault
		if len(s.faults) > 0 {
			f = &s.faults[0]
			s.faults = s.faults[1:]
		}
		s.mu.Unlock()
		if f == nil {
			h.ServeHTTP(w, r)
			return
		}
		serveFault(w, r, *f)
	}))
	t.Cleanup(s.Close)
	return s
}

func serveFault(w http.ResponseWriter, r *http.Request, f Fault) {
	if f.Delay > 0 {
		select {
		case <-time.After(f.Delay):
		case <-r.Context().Done():
			return
		}
	}
	for k, v := range f.Header {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(f.Status)
	_, _ = io.WriteString(w, f.Body)
}

// Inject queues faults served to the next requests.
func (s *Server) Inject(f ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f...)
}

// Requests returns a copy of everything received so far.
func (s *Server) Requests() []Recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Recorded(nil), s.reqs...)
}
