package tickettest

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nhiradar/nhiradar/collector/ticket"
)

// Harness tells the suite how to build one connector and its contract server.
type Harness struct {
	// Handler returns a fresh contract server accepting only credential.
	Handler func(t *testing.T, credential string) http.Handler
	// New returns a connector for baseURL using credential and client.
	New func(t *testing.T, baseURL, credential string, client *http.Client) ticket.Connector
	// Fault bodies in the system's own error format.
	RateLimit func() Fault // a 429 asking for a wait of at least one second
	Unavail   Fault        // a 5xx
}

// Secret is the credential planted in every connector the suite builds.
const Secret = "planted-S3cr3t-value-0123456789"

// Run runs the conformance suite.
func Run(t *testing.T, h Harness) {
	srv := NewServer(t, h.Handler(t, Secret))
	c := h.New(t, srv.URL, Secret, &http.Client{Timeout: 5 * time.Second})
	ctx := context.Background()
	var errs []error
	keep := func(err error) error {
		if err != nil {
			errs = append(errs, err)
		}
		return err
	}
	req := Request()

	var created ticket.Ticket
	t.Run("CreateIfAbsent", func(t *testing.T) {
		created = createIfAbsent(t, ctx, c, req)
		again := createIfAbsent(t, ctx, c, req)
		if again.ExternalID != created.ExternalID {
			t.Errorf("second create-if-absent made %q, want the existing %q", again.ExternalID, created.ExternalID)
		}
	})
	if created.ExternalID == "" {
		t.Fatal("no ticket created; later steps depend on it")
	}
	id := created.ExternalID
	t.Run("Comment", func(t *testing.T) {
		if err := keep(c.Comment(ctx, id, "rotation scheduled for Friday")); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("CloseThenGetDone", func(t *testing.T) {
		if err := keep(c.Close(ctx, id, "fixed", "key rotated")); err != nil {
			t.Fatal(err)
		}
		got, err := c.Get(ctx, id)
		if keep(err) != nil || !got.State.Done() {
			t.Fatalf("after close: %+v, %v; want a done state", got, err)
		}
	})
	t.Run("Reopen", func(t *testing.T) {
		got, err := c.Reopen(ctx, id, "fresh scan still sees the key")
		if errors.Is(err, ticket.ErrCannotReopen) {
			return
		}
		if keep(err) != nil || got.State.Done() {
			t.Fatalf("reopen: %+v, %v; want an open state or ErrCannotReopen", got, err)
		}
		if g, err := c.Get(ctx, id); err != nil || g.State.Done() {
			t.Errorf("get after reopen: %+v, %v", g, err)
		}
	})
	t.Run("GetUnknownIsNotFound", func(t *testing.T) {
		_, err := c.Get(ctx, "no-such-ticket-42")
		if keep(err) == nil || !ticket.IsNotFound(err) || ticket.IsRetryable(err) {
			t.Errorf("want a non-retryable not-found *ticket.Error, got %v", err)
		}
	})
	t.Run("BadCredentialIsClearAndFinal", func(t *testing.T) {
		bad := h.New(t, srv.URL, "wrong-"+Secret, &http.Client{Timeout: 5 * time.Second})
		_, err := bad.Get(ctx, id)
		keep(err)
		var e *ticket.Error
		if !errors.As(err, &e) || e.Status != http.StatusUnauthorized || e.Retryable {
			t.Fatalf("want a non-retryable 401 *ticket.Error, got %#v", err)
		}
		if !strings.Contains(err.Error(), c.Name()) || !strings.Contains(err.Error(), "credentials") {
			t.Errorf("message must name the system and say to check credentials: %q", err)
		}
	})
	t.Run("RateLimitWaitedOut", func(t *testing.T) {
		srv.Inject(h.RateLimit())
		slept := retryGet(t, ctx, c, id, 1)
		if len(slept) != 1 || slept[0] < time.Second {
			t.Errorf("retrier slept %v, want one wait of at least the 1s asked for", slept)
		}
	})
	t.Run("ServerErrorRetried", func(t *testing.T) {
		srv.Inject(h.Unavail, h.Unavail)
		if slept := retryGet(t, ctx, c, id, 2); len(slept) != 2 {
			t.Errorf("want 2 retries, slept %v", slept)
		}
	})
	t.Run("SlowAnswerIsRetryableTimeout", func(t *testing.T) {
		srv.Inject(Fault{Status: 200, Body: "{}", Delay: 500 * time.Millisecond})
		slow := h.New(t, srv.URL, Secret, &http.Client{Timeout: 100 * time.Millisecond})
		_, err := slow.Get(ctx, id)
		if keep(err) == nil || !ticket.IsRetryable(err) {
			t.Errorf("want a retryable timeout, got %v", err)
		}
	})
	t.Run("NoSecretLeak", func(t *testing.T) {
		assertNoLeak(t, srv.Requests(), errs)
	})
}

// Request is the rendered request the suite files.
func Request() ticket.Request {
	return ticket.Request{
		Key:      "F-6f1c2a9e",
		Title:    "Dormant AWS access key AKIA…XYZ on web-01",
		Body:     "The key has not been used for 120 days.\n\n- host: web-01\n- path: /home/deploy/.aws/credentials",
		Priority: ticket.PriorityHigh,
		Queue:    "platform-team",
		Due:      time.Date(2027, 1, 15, 0, 0, 0, 0, time.UTC),
		Labels:   []string{"nhi", "dormant"},
		Type:     ticket.TypeRemediation,
	}
}

func createIfAbsent(t *testing.T, ctx context.Context, c ticket.Connector, req ticket.Request) ticket.Ticket {
	t.Helper()
	found, err := c.Find(ctx, req.Key)
	if err != nil {
		t.Fatalf("find: %v", err)
	}
	if found != nil {
		return *found
	}
	tk, err := c.Create(ctx, req)
	if err != nil || tk.ExternalID == "" || tk.State.Done() {
		t.Fatalf("create: %+v, %v", tk, err)
	}
	found, err = c.Find(ctx, req.Key)
	if err != nil || found == nil || found.ExternalID != tk.ExternalID {
		t.Fatalf("find after create: %+v, %v; want %q", found, err, tk.ExternalID)
	}
	return tk
}

// retryGet runs Get under a Retrier with a fake sleep and returns the waits.
func retryGet(t *testing.T, ctx context.Context, c ticket.Connector, id string, wantRetries int) []time.Duration {
	t.Helper()
	var slept []time.Duration
	r := ticket.Retrier{Attempts: wantRetries + 1, Initial: 10 * time.Millisecond,
		Sleep: func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }}
	if err := r.Do(ctx, func(ctx context.Context) error { _, err := c.Get(ctx, id); return err }); err != nil {
		t.Fatalf("retrier did not get through: %v", err)
	}
	return slept
}

// assertNoLeak: the credential may appear only in the Authorization header
// (raw or base64 inside Basic), never in URLs, bodies, other headers or errors.
func assertNoLeak(t *testing.T, reqs []Recorded, errs []error) {
	t.Helper()
	needles := []string{Secret, base64.StdEncoding.EncodeToString([]byte(Secret))}
	for _, r := range reqs {
		for _, n := range needles {
			if strings.Contains(r.URL, n) || strings.Contains(string(r.Body), n) {
				t.Errorf("%s %s: credential in URL or body", r.Method, r.URL)
			}
			for k, vs := range r.Header {
				if k == "Authorization" {
					continue
				}
				for _, v := range vs {
					if strings.Contains(v, n) {
						t.Errorf("%s %s: credential in header %s", r.Method, r.URL, k)
					}
				}
			}
		}
	}
	for _, err := range errs {
		if strings.Contains(err.Error(), "S3cr3t") {
			t.Errorf("error carries the credential: %q", err)
		}
	}
	if len(reqs) == 0 {
		t.Error("no requests recorded")
	}
}
