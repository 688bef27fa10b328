package webhook

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/nhiradar/nhiradar/collector/ticket"
	"github.com/nhiradar/nhiradar/collector/ticket/tickettest"
)

// receiver is the contract receiver: it verifies the signature, requires an
// Idempotency-Key on create, and keeps tickets in memory.
type receiver struct {
	secret  []byte
	mu      sync.Mutex
	byID    map[string]*ticket.Ticket
	byKey   map[string]string
	idem    map[string]string
	comment map[string][]string
}

func newReceiver(secret string) *receiver {
	return &receiver{secret: []byte(secret), byID: map[string]*ticket.Ticket{}, byKey: map[string]string{},
		idem: map[string]string{}, comment: map[string][]string{}}
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if r.Method != http.MethodPost || !Verify(rc.secret, body, r.Header.Get(SignatureHeader)) {
		http.Error(w, `{"error":{"message":"bad signature"}}`, http.StatusUnauthorized)
		return
	}
	var p Payload
	if err := json.Unmarshal(body, &p); err != nil {
		http.Error(w, "bad json", http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	status, t := rc.apply(p, r.Header.Get(IdempotencyHeader))
	w.WriteHeader(status)
	if t != nil {
		_ = json.NewEncoder(w).Encode(t)
	}
}

func (rc *receiver) apply(p Payload, idem string) (int, *ticket.Ticket) {
	if p.Action == "create" {
		if idem == "" || idem != p.Key {
			return http.StatusBadRequest, nil
		}
		if id, ok := rc.idem[idem]; ok {
			return http.StatusOK, rc.byID[id]
		}
		id := fmt.Sprintf("WH-%d", len(rc.byID)+1)
		rc.byID[id] = &ticket.Ticket{ExternalID: id, State: ticket.StateOpen, UpdatedAt: time.Now().UTC()}
		rc.byKey[p.Key], rc.idem[idem] = id, id
		return http.StatusCreated, rc.byID[id]
	}
	if p.Action == "find" {
		p.ExternalID = rc.byKey[p.Key]
	}
	t, ok := rc.byID[p.ExternalID]
	if !ok {
		return http.StatusNotFound, nil
	}
	switch p.Action {
	case "comment":
		rc.comment[t.ExternalID] = append(rc.comment[t.ExternalID], p.Text)
	case "close":
		t.State, t.Resolution = ticket.StateResolved, p.Resolution
	case "reopen":
		t.State, t.Resolution = ticket.StateOpen, ""
	}
	return http.StatusOK, t
}

func newConnector(t *testing.T, url, secret string, client *http.Client) *Connector {
	t.Helper()
	f := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(f, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := New(Config{URL: url, SecretFile: f}, client)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestConformance(t *testing.T) {
	tickettest.Run(t, tickettest.Harness{
		Handler: func(t *testing.T, cred string) http.Handler { return newReceiver(cred) },
		New: func(t *testing.T, url, cred string, client *http.Client) ticket.Connector {
			return newConnector(t, url, cred, client)
		},
		RateLimit: func() tickettest.Fault {
			return tickettest.Fault{Status: 429, Header: map[string]string{"Retry-After": "1"}}
		},
		Unavail: tickettest.Fault{Status: 503},
	})
}

func TestSignatureAndIdempotencyKey(t *testing.T) {
	rc := newReceiver("k")
	srv := tickettest.NewServer(t, rc)
	c := newConnector(t, srv.URL, "k", nil)
	req := tickettest.Request()
	if _, err := c.Create(t.Context(), req); err != nil {
		t.Fatal(err)
	}
	got := srv.Requests()[0]
	if got.Header.Get(IdempotencyHeader) != req.Key {
		t.Errorf("Idempotency-Key %q, want %q", got.Header.Get(IdempotencyHeader), req.Key)
	}
	if want := Sign([]byte("k"), got.Body); got.Header.Get(SignatureHeader) != want {
		t.Errorf("signature %q, want %q", got.Header.Get(SignatureHeader), want)
	}
	if Verify([]byte("other"), got.Body, got.Header.Get(SignatureHeader)) {
		t.Error("signature verified under the wrong secret")
	}
	// A retried create (same key) returns the same ticket.
	a, _ := c.Create(t.Context(), req)
	if b, _ := c.Create(t.Context(), req); a.ExternalID != b.ExternalID || len(rc.byID) != 1 {
		t.Errorf("retried create duplicated: %q %q (%d tickets)", a.ExternalID, b.ExternalID, len(rc.byID))
	}
}

func TestSecretNeverFromNothing(t *testing.T) {
	if _, err := New(Config{URL: "http://x", SecretEnv: "NHI_TEST_UNSET_SECRET_ENV"}, nil); err == nil {
		t.Error("an unset secret env must be an error")
	}
	t.Setenv("NHI_TEST_WEBHOOK_SECRET", "from-env")
	if c, err := New(Config{URL: "http://x", SecretEnv: "NHI_TEST_WEBHOOK_SECRET"}, nil); err != nil || string(c.secret) != "from-env" {
		t.Errorf("env secret: %v", err)
	}
}
