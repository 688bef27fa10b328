package rt

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nhiradar/nhiradar/collector/ticket"
	"github.com/nhiradar/nhiradar/collector/ticket/tickettest"
	"github.com/nhiradar/nhiradar/internal/devservices"
)

// The conformance suite runs against the real Request Tracker started by
// services.sh up-rt. Its contract "server" is a reverse proxy in front of RT:
// the suite records requests and injects faults there, and the proxy swaps
// the suite's planted credential for the real one, so RT itself decides on
// every other credential (the wrong one gets RT's own 401).

func secretFile(t *testing.T, v string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "cred")
	if err := os.WriteFile(f, []byte(v+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

func proxyTo(t *testing.T, target string, swap func(auth string) string) http.Handler {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	return &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(u)
		r.Out.Header.Set("Authorization", swap(r.In.Header.Get("Authorization")))
	}}
}

func tokenConn(t *testing.T, base, token string, client *http.Client) *Connector {
	t.Helper()
	c, err := New(Config{URL: base, TokenFile: secretFile(t, token),
		Queues: map[string]string{"platform-team": DefaultQueue}}, client)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func basicConn(t *testing.T, base, user, password string, client *http.Client) *Connector {
	t.Helper()
	t.Setenv("NHI_TEST_RT_PASSWORD", password)
	c, err := New(Config{URL: base, Username: user, PasswordEnv: "NHI_TEST_RT_PASSWORD"}, client)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// purge marks deleted every ticket an earlier run left with key, so the
// suite's create-if-absent really creates; RT searches skip deleted tickets.
func purge(t *testing.T, c *Connector, key string) {
	t.Helper()
	items, err := c.search(t.Context(), key)
	if err != nil {
		t.Fatalf("purge %s: %v", key, err)
	}
	for _, it := range items {
		if _, err := c.setStatus(t.Context(), "purge", it.ID.String(), "deleted"); err != nil {
			t.Fatalf("purge %s: delete %s: %v", key, it.ID, err)
		}
	}
	if items, err := c.search(t.Context(), key); err != nil || len(items) != 0 {
		t.Fatalf("purge %s: %d tickets left, %v", key, len(items), err)
	}
}

// exactlyOneOpen: after the suite, one ticket carries the key and it is not finished.
func exactlyOneOpen(t *testing.T, c *Connector, key string) {
	t.Helper()
	items, err := c.search(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || c.toTicket(items[0]).State.Done() {
		t.Errorf("tickets with key %s: %+v; want exactly one, unfinished", key, items)
	}
}

func suiteFaults() (func() tickettest.Fault, tickettest.Fault) {
	return func() tickettest.Fault {
			return tickettest.Fault{Status: 429, Header: map[string]string{"Retry-After": "1"}, Body: `{"message":"Too Many Requests"}`}
		},
		tickettest.Fault{Status: 503, Body: "<html><body>Service Unavailable</body></html>"}
}

func TestConformanceToken(t *testing.T) {
	rt := devservices.RequestTracker(t)
	direct := tokenConn(t, rt.URL, rt.Token, nil)
	key := tickettest.Request().Key
	purge(t, direct, key)
	rate, unavail := suiteFaults()
	tickettest.Run(t, tickettest.Harness{
		Handler: func(t *testing.T, cred string) http.Handler {
			return proxyTo(t, rt.URL, func(auth string) string {
				if auth == "token "+cred {
					return "token " + rt.Token
				}
				return auth
			})
		},
		New: func(t *testing.T, base, cred string, client *http.Client) ticket.Connector {
			return tokenConn(t, base, cred, client)
		},
		RateLimit: rate,
		Unavail:   unavail,
	})
	exactlyOneOpen(t, direct, key)
}

func TestConformanceBasicAuth(t *testing.T) {
	rt := devservices.RequestTracker(t)
	direct := tokenConn(t, rt.URL, rt.Token, nil)
	key := tickettest.Request().Key
	purge(t, direct, key)
	rate, unavail := suiteFaults()
	planted := "Basic " + base64.StdEncoding.EncodeToString([]byte(rt.User+":"+tickettest.Secret))
	real := "Basic " + base64.StdEncoding.EncodeToString([]byte(rt.User+":"+rt.Password))
	tickettest.Run(t, tickettest.Harness{
		Handler: func(t *testing.T, cred string) http.Handler {
			return proxyTo(t, rt.URL, func(auth string) string {
				if auth == planted {
					return real
				}
				return auth
			})
		},
		New: func(t *testing.T, base, cred string, client *http.Client) ticket.Connector {
			return basicConn(t, base, rt.User, cred, client)
		},
		RateLimit: rate,
		Unavail:   unavail,
	})
	exactlyOneOpen(t, direct, key)
}

// rawTicket reads a ticket straight from REST2, bypassing the connector.
func rawTicket(t *testing.T, rt *devservices.RT, id string) map[string]any {
	t.Helper()
	c := tokenConn(t, rt.URL, rt.Token, nil)
	var out map[string]any
	if err := c.do(t.Context(), "raw", http.MethodGet, "ticket/"+id, nil, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCreateFieldsInRT(t *testing.T) {
	rt := devservices.RequestTracker(t)
	c := tokenConn(t, rt.URL, rt.Token, nil)
	req := tickettest.Request()
	req.Key = devservices.UniqueName("F")
	req.Priority = ticket.PriorityCritical
	tk, err := c.Create(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	raw := rawTicket(t, rt, tk.ExternalID)
	for k, want := range map[string]string{"Subject": req.Title, "Priority": "90", "Due": "2027-01-15T00:00:00Z", "Status": "new"} {
		if got := asString(raw[k]); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if q, _ := raw["Queue"].(map[string]any); q == nil || asString(q["id"]) == "" {
		t.Errorf("Queue = %v", raw["Queue"])
	}
	if v := cfValues(raw, DefaultKeyField); len(v) != 1 || v[0] != req.Key {
		t.Errorf("custom field %s = %v, want [%s]", DefaultKeyField, v, req.Key)
	}
	if !strings.HasSuffix(tk.URL, "/Ticket/Display.html?id="+tk.ExternalID) || tk.State != ticket.StateOpen {
		t.Errorf("ticket %+v: want a display URL and state open", tk)
	}
	found, err := c.Find(t.Context(), req.Key)
	if err != nil || found == nil || found.ExternalID != tk.ExternalID || found.UpdatedAt.IsZero() {
		t.Errorf("find: %+v, %v; want %s with LastUpdated", found, err, tk.ExternalID)
	}
}

func TestStatusesInRT(t *testing.T) {
	rt := devservices.RequestTracker(t)
	c := tokenConn(t, rt.URL, rt.Token, nil)
	ctx := t.Context()
	req := tickettest.Request()
	req.Key = devservices.UniqueName("F")
	tk, err := c.Create(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	id := tk.ExternalID
	for _, st := range []struct {
		rt   string
		want ticket.State
	}{{"open", ticket.StateInProgress}, {"stalled", ticket.StateInProgress}, {"rejected", ticket.StateCanceled}, {"resolved", ticket.StateResolved}} {
		got, err := c.setStatus(ctx, "test", id, st.rt)
		if err != nil || got.State != st.want {
			t.Errorf("status %s: %+v, %v; want %s", st.rt, got, err, st.want)
		}
	}
	got, err := c.Reopen(ctx, id, "still there")
	if err != nil || got.State != ticket.StateInProgress || asString(rawTicket(t, rt, id)["Status"]) != "open" {
		t.Errorf("reopen resolved: %+v, %v; want RT status open", got, err)
	}
	if err := c.Close(ctx, id, "revoke", "key removed from web-01"); err != nil {
		t.Fatal(err)
	}
	if g, err := c.Get(ctx, id); err != nil || g.State != ticket.StateResolved || g.Resolution != "resolved" {
		t.Errorf("after close: %+v, %v", g, err)
	}
	if _, err := c.setStatus(ctx, "test", id, "deleted"); err != nil {
		t.Fatal(err)
	}
	if f, err := c.Find(ctx, req.Key); err != nil || f != nil {
		t.Errorf("a deleted ticket must not be found: %+v, %v", f, err)
	}
}

func TestUnknownTicketIsNotFoundInRT(t *testing.T) {
	rt := devservices.RequestTracker(t)
	c := tokenConn(t, rt.URL, rt.Token, nil)
	for name, call := range map[string]func() error{
		"get":     func() error { _, err := c.Get(t.Context(), "987654321"); return err },
		"comment": func() error { return c.Comment(t.Context(), "987654321", "x") },
		"close":   func() error { return c.Close(t.Context(), "987654321", "", "") },
	} {
		err := call()
		if !ticket.IsNotFound(err) || ticket.IsRetryable(err) || !strings.Contains(err.Error(), "rt "+name) {
			t.Errorf("%s of an unknown ticket: want a final 404 naming rt %s, got %v", name, name, err)
		}
	}
}

func TestWrongCredentialsAreFinalInRT(t *testing.T) {
	rt := devservices.RequestTracker(t)
	for name, c := range map[string]*Connector{
		"token": tokenConn(t, rt.URL, "1-2-0123456789abcdef0123456789abcdef", nil),
		"basic": basicConn(t, rt.URL, rt.User, "not-the-password", nil),
	} {
		_, err := c.Find(t.Context(), "F-any")
		var e *ticket.Error
		if !asTicketError(err, &e) || e.Status != http.StatusUnauthorized || e.Retryable ||
			!strings.Contains(err.Error(), "credentials") || !strings.Contains(err.Error(), "Unauthorized") {
			t.Errorf("%s: want a final 401 saying to check the credentials, with RT's message; got %v", name, err)
		}
	}
}

func TestUnknownQueueIsFinalInRT(t *testing.T) {
	rt := devservices.RequestTracker(t)
	c, err := New(Config{URL: rt.URL, TokenFile: secretFile(t, rt.Token), Queue: "No Such Queue"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	req := tickettest.Request()
	req.Key = devservices.UniqueName("F")
	_, err = c.Create(t.Context(), req)
	var e *ticket.Error
	if !asTicketError(err, &e) || e.Retryable || e.Status < 400 || e.Status >= 500 {
		t.Fatalf("create in an unknown queue: want a final 4xx, got %v", err)
	}
	t.Logf("RT says: %v", err)
}

// TestStoppedRTIsRetryable stops a private RT: calls fail retryably (a
// Retrier keeps trying), and work resumes once RT is back.
func TestStoppedRTIsRetryable(t *testing.T) {
	rt := devservices.PrivateRequestTracker(t)
	c := tokenConn(t, rt.URL, rt.Token, &http.Client{Timeout: 5 * time.Second})
	if _, err := c.Find(t.Context(), "F-before-stop"); err != nil {
		t.Fatalf("find on a running RT: %v", err)
	}
	pid := readPid(t, rt.PidFile)
	rt.Do(t, "up-rt") // a second up-rt with RT running must leave it alone
	if again := readPid(t, rt.PidFile); again != pid {
		t.Errorf("second up-rt replaced rt-server: pid %s, then %s", pid, again)
	}
	rt.Do(t, "down-rt")
	if _, err := os.Stat(rt.PidFile); !os.IsNotExist(err) {
		t.Errorf("down-rt left the pid file: %v", err)
	}
	_, err := c.Find(t.Context(), "F-while-stopped")
	if !ticket.IsRetryable(err) || !strings.Contains(err.Error(), "rt find") {
		t.Fatalf("find on a stopped RT: want a retryable error naming rt find, got %v", err)
	}
	rt.Do(t, "up-rt")
	r := ticket.Retrier{Attempts: 10, Initial: 200 * time.Millisecond, MaxElapsed: time.Minute}
	if err := r.Do(t.Context(), func(ctx context.Context) error { _, err := c.Find(ctx, "F-after-start"); return err }); err != nil {
		t.Fatalf("find after up-rt: %v", err)
	}
}

func readPid(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil || len(strings.TrimSpace(string(b))) == 0 {
		t.Fatalf("pid file %s: %q, %v", file, b, err)
	}
	return strings.TrimSpace(string(b))
}

// TestReadOnlyUserInRT: a user who may only see the queue gets final 403s
// that name the missing right, and RT's refusal of a status change (a 200
// with "Permission Denied") is not mistaken for a ticket that cannot reopen.
func TestReadOnlyUserInRT(t *testing.T) {
	rt := devservices.RequestTracker(t)
	ctx := t.Context()
	c := tokenConn(t, rt.URL, rt.Token, nil)
	viewer := basicConn(t, rt.URL, rt.Viewer, rt.ViewerPassword, nil)
	req := tickettest.Request()
	req.Key = devservices.UniqueName("F")
	_, err := viewer.Create(ctx, req)
	var e *ticket.Error
	if !asTicketError(err, &e) || e.Status != http.StatusForbidden || e.Retryable ||
		!strings.Contains(err.Error(), "permissions") || !strings.Contains(err.Error(), "No permission to create tickets") {
		t.Errorf("read-only create: want a final 403 with RT's reason, got %v", err)
	}
	tk, err := c.Create(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(ctx, tk.ExternalID, "", "done"); err != nil {
		t.Fatal(err)
	}
	if got, err := viewer.Get(ctx, tk.ExternalID); err != nil || got.State != ticket.StateResolved {
		t.Errorf("read-only get: %+v, %v; want resolved", got, err)
	}
	_, err = viewer.Reopen(ctx, tk.ExternalID, "x")
	if errors.Is(err, ticket.ErrCannotReopen) || !asTicketError(err, &e) || e.Status != http.StatusForbidden ||
		e.Retryable || !strings.Contains(err.Error(), "ModifyTicket") {
		t.Errorf("read-only reopen: want a final 403 naming ModifyTicket, got %v", err)
	}
	if got, _ := c.Get(ctx, tk.ExternalID); got.State != ticket.StateResolved {
		t.Errorf("ticket changed by a read-only user: %+v", got)
	}
}
