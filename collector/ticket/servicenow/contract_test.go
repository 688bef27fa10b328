package servicenow

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nhiradar/nhiradar/collector/ticket"
	"github.com/nhiradar/nhiradar/collector/ticket/servicenow/sntest"
	"github.com/nhiradar/nhiradar/collector/ticket/tickettest"
)

func secretFile(t *testing.T, v string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "cred")
	if err := os.WriteFile(f, []byte(v+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

func basic(t *testing.T, url, password string, client *http.Client) *Connector {
	t.Helper()
	c, err := New(Config{URL: url, Username: "nhi.radar", PasswordFile: secretFile(t, password)}, client)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestConformanceBasicAuth(t *testing.T) {
	tickettest.Run(t, tickettest.Harness{
		Handler: func(t *testing.T, cred string) http.Handler {
			return sntest.New(sntest.Options{Username: "nhi.radar", Password: cred})
		},
		New: func(t *testing.T, url, cred string, client *http.Client) ticket.Connector {
			return basic(t, url, cred, client)
		},
		RateLimit: func() tickettest.Fault {
			return tickettest.Fault{Status: 429, Body: sntest.RateLimitBody,
				Header: map[string]string{"X-RateLimit-Reset": strconv.FormatInt(time.Now().Add(3*time.Second).Unix(), 10)}}
		},
		Unavail: tickettest.Fault{Status: 503, Body: "<html>Service Unavailable</html>"},
	})
}

func TestConformanceBearerToken(t *testing.T) {
	tickettest.Run(t, tickettest.Harness{
		Handler: func(t *testing.T, cred string) http.Handler { return sntest.New(sntest.Options{Token: cred}) },
		New: func(t *testing.T, url, cred string, client *http.Client) ticket.Connector {
			t.Setenv("NHI_TEST_SN_TOKEN", cred)
			c, err := New(Config{URL: url, TokenEnv: "NHI_TEST_SN_TOKEN"}, client)
			if err != nil {
				t.Fatal(err)
			}
			return c
		},
		RateLimit: func() tickettest.Fault {
			return tickettest.Fault{Status: 429, Header: map[string]string{"Retry-After": "1"}}
		},
		Unavail: tickettest.Fault{Status: 500, Body: `{"error":{"message":"Internal error"},"status":"failure"}`},
	})
}

func setup(t *testing.T, o sntest.Options) (*sntest.Server, *tickettest.Server, *Connector) {
	t.Helper()
	if o.Username == "" {
		o.Username, o.Password = "nhi.radar", "pw"
	}
	sn := sntest.New(o)
	srv := tickettest.NewServer(t, sn)
	return sn, srv, basic(t, srv.URL, o.Password, nil)
}

func TestCreateFields(t *testing.T) {
	sn, _, c := setup(t, sntest.Options{})
	req := tickettest.Request()
	req.Priority = ticket.PriorityCritical
	tk, err := c.Create(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"correlation_id": req.Key, "short_description": req.Title, "assignment_group": "platform-team",
		"urgency": "1", "impact": "1", "due_date": "2027-01-15 00:00:00", "sys_class_name": "incident", "state": "1"}
	for k, v := range want {
		if got := sn.Field(tk.ExternalID, k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if d := sn.Field(tk.ExternalID, "description"); !strings.Contains(d, req.Body) || !strings.Contains(d, "remediation") {
		t.Errorf("description %q lacks body or type", d)
	}
	if !strings.Contains(tk.URL, "incident.do?sys_id="+tk.ExternalID) || tk.UpdatedAt.IsZero() {
		t.Errorf("ticket %+v: want URL and UpdatedAt", tk)
	}
}

func TestCloseAndReopenRules(t *testing.T) {
	sn, _, c := setup(t, sntest.Options{})
	ctx := t.Context()
	tk, _ := c.Create(ctx, tickettest.Request())
	if err := c.Close(ctx, tk.ExternalID, "", "rotated"); err != nil {
		t.Fatal(err)
	}
	if sn.Field(tk.ExternalID, "state") != "6" || sn.Field(tk.ExternalID, "close_code") != "Solved (Permanently)" {
		t.Errorf("close: state %q code %q", sn.Field(tk.ExternalID, "state"), sn.Field(tk.ExternalID, "close_code"))
	}
	got, err := c.Reopen(ctx, tk.ExternalID, "still present")
	if err != nil || got.State != ticket.StateInProgress || sn.Field(tk.ExternalID, "state") != "2" {
		t.Fatalf("reopen resolved: %+v %v", got, err)
	}
	if notes := sn.WorkNotes(tk.ExternalID); len(notes) != 1 || notes[0] != "still present" {
		t.Errorf("work notes %q", notes)
	}
	for _, st := range []string{"7", "8"} {
		sn.Set(tk.ExternalID, "state", st)
		if _, err := c.Reopen(ctx, tk.ExternalID, "x"); !errors.Is(err, ticket.ErrCannotReopen) {
			t.Errorf("state %s: want ErrCannotReopen, got %v", st, err)
		}
	}
}

func TestForbiddenAndThrottledAnswers(t *testing.T) {
	_, _, ro := setup(t, sntest.Options{ReadOnly: true})
	_, err := ro.Create(t.Context(), tickettest.Request())
	var e *ticket.Error
	if !errors.As(err, &e) || e.Status != 403 || e.Retryable || !strings.Contains(err.Error(), "permissions") || !strings.Contains(err.Error(), "ACL Exception") {
		t.Errorf("403: %v", err)
	}
	sn, _, c := setup(t, sntest.Options{})
	sn.Throttle(1)
	_, err = c.Find(t.Context(), "F-1")
	if !errors.As(err, &e) || e.Status != 429 || !e.Retryable || e.RetryAfter <= 0 || e.RetryAfter > 3*time.Second {
		t.Errorf("429: %#v", err)
	}
}

func TestFindQuery(t *testing.T) {
	_, srv, c := setup(t, sntest.Options{})
	if tk, err := c.Find(t.Context(), "F-abc"); tk != nil || err != nil {
		t.Fatalf("empty find: %v %v", tk, err)
	}
	r := srv.Requests()[0]
	if r.Method != "GET" || !strings.Contains(r.URL, "sysparm_query=correlation_id%3DF-abc%5EORDERBYDESCsys_created_on") {
		t.Errorf("find request %s %s", r.Method, r.URL)
	}
	if _, err := c.Find(t.Context(), "a^b"); err == nil {
		t.Error("a key with ^ must be refused (it would change the query)")
	}
}

func TestConfigNeedsCredential(t *testing.T) {
	if _, err := New(Config{URL: "http://x"}, nil); err == nil || !strings.Contains(err.Error(), "no credential") {
		t.Errorf("want a missing-credential error, got %v", err)
	}
	if _, err := New(Config{URL: "http://x", Username: "u", PasswordEnv: "A", TokenEnv: "B"}, nil); err == nil {
		t.Error("both token and password must be refused")
	}
}
