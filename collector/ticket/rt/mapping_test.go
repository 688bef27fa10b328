package rt

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/nhiradar/nhiradar/collector/ticket"
	"github.com/nhiradar/nhiradar/collector/ticket/tickettest"
)

func asString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	default:
		return fmt.Sprint(x)
	}
}

func cfValues(raw map[string]any, name string) []string {
	cfs, _ := raw["CustomFields"].([]any)
	for _, cf := range cfs {
		m, _ := cf.(map[string]any)
		if asString(m["name"]) != name {
			continue
		}
		var out []string
		vals, _ := m["values"].([]any)
		for _, v := range vals {
			out = append(out, asString(v))
		}
		return out
	}
	return nil
}

func asTicketError(err error, e **ticket.Error) bool { return errors.As(err, e) }

func offline(t *testing.T, cfg Config) *Connector {
	t.Helper()
	cfg.URL = "http://rt.invalid"
	cfg.TokenFile = secretFile(t, "1-2-x")
	c, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestStatusMapping(t *testing.T) {
	c := offline(t, Config{Statuses: map[string]ticket.State{"Fixed": ticket.StateResolved}})
	for st, want := range map[string]ticket.State{
		"new": ticket.StateOpen, "open": ticket.StateInProgress, "stalled": ticket.StateInProgress,
		"resolved": ticket.StateResolved, "rejected": ticket.StateCanceled, "deleted": ticket.StateCanceled,
		"fixed": ticket.StateResolved, "triage": ticket.StateInProgress,
	} {
		if got := c.state(st); got != want {
			t.Errorf("state(%q) = %s, want %s", st, got, want)
		}
	}
}

func TestFindQueryAndRouting(t *testing.T) {
	c := offline(t, Config{Queues: map[string]string{"team-b": "Ops", "team-a": "Apps"}})
	q, err := c.findQuery("F-1")
	if err != nil {
		t.Fatal(err)
	}
	if want := `'CF.{NHI-Key}' = 'F-1' AND (Queue = 'NHI Radar' OR Queue = 'Apps' OR Queue = 'Ops')`; q != want {
		t.Errorf("query\n got %s\nwant %s", q, want)
	}
	for _, bad := range []string{"", "a'b", `a\b`, "a\nb"} {
		if _, err := c.findQuery(bad); err == nil {
			t.Errorf("key %q must be refused: it would change the TicketSQL", bad)
		}
	}
	if c.queueFor("team-b") != "Ops" || c.queueFor("unmapped") != DefaultQueue {
		t.Errorf("routing: team-b → %q, unmapped → %q", c.queueFor("team-b"), c.queueFor("unmapped"))
	}
	if _, err := New(Config{URL: "http://x", TokenEnv: "X", KeyField: "a}b"}, nil); err == nil {
		t.Error("a key field with a brace must be refused")
	}
}

func TestContentAndPriority(t *testing.T) {
	c := offline(t, Config{Priorities: map[ticket.Priority]int{ticket.PriorityLow: 5}})
	req := tickettest.Request()
	body := content(req)
	for _, want := range []string{req.Body, "remediation ticket", "Key: " + req.Key, "Labels: nhi, dormant"} {
		if !strings.Contains(body, want) {
			t.Errorf("content lacks %q:\n%s", want, body)
		}
	}
	if c.priority(ticket.PriorityLow) != 5 || c.priority(ticket.PriorityCritical) != 90 || c.priority("bogus") != 50 {
		t.Errorf("priorities: low %d critical %d bogus %d", c.priority(ticket.PriorityLow), c.priority(ticket.PriorityCritical), c.priority("bogus"))
	}
}

// REST2 gives ticket ids as numbers on GET and as strings in searches and creates.
func TestIDsAsNumbersOrStrings(t *testing.T) {
	for _, in := range []string{`{"id":7}`, `{"id":"7"}`} {
		var r rtTicket
		if err := json.Unmarshal([]byte(in), &r); err != nil || r.ID.String() != "7" {
			t.Errorf("%s: id %q, %v", in, r.ID, err)
		}
	}
}

func TestNonNumericIDIsNotFound(t *testing.T) {
	c := offline(t, Config{})
	_, err := c.Get(t.Context(), "1/comment")
	if !ticket.IsNotFound(err) || !strings.Contains(err.Error(), "rt get") {
		t.Errorf("want a not-found naming rt get, got %v", err)
	}
}

func TestConfigNeedsCredential(t *testing.T) {
	if _, err := New(Config{URL: "http://x"}, nil); err == nil || !strings.Contains(err.Error(), "no credential") {
		t.Errorf("want a missing-credential error, got %v", err)
	}
	if _, err := New(Config{URL: "http://x", Username: "u", PasswordEnv: "A", TokenEnv: "B"}, nil); err == nil {
		t.Error("both token and password must be refused")
	}
	if _, err := New(Config{URL: "http://x", TokenEnv: "NHI_TEST_RT_UNSET_VAR"}, nil); err == nil ||
		!strings.Contains(err.Error(), "NHI_TEST_RT_UNSET_VAR") {
		t.Errorf("an unset token variable must be named, got %v", err)
	}
}

// fakeRT keeps every ticket resolved and refuses status changes the way RT
// does when a lifecycle lacks the transition: 200 and a message.
func fakeRT(t *testing.T) *Connector {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.Method {
		case http.MethodGet:
			_, _ = io.WriteString(w, `{"id":1,"Status":"resolved","LastUpdated":"2026-12-02T10:00:00Z"}`)
		case http.MethodPut:
			_, _ = io.WriteString(w, `["Ticket 1: Can't change status to open"]`)
		default:
			w.WriteHeader(http.StatusCreated)
			_, _ = io.WriteString(w, `["Comments added"]`)
		}
	}))
	t.Cleanup(srv.Close)
	c, err := New(Config{URL: srv.URL, TokenFile: secretFile(t, "1-2-x")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRefusedReopenIsCannotReopen(t *testing.T) {
	got, err := fakeRT(t).Reopen(t.Context(), "1", "still there")
	if !errors.Is(err, ticket.ErrCannotReopen) || !got.State.Done() || !strings.Contains(err.Error(), "resolved") {
		t.Errorf("want ErrCannotReopen naming RT's status, got %+v, %v", got, err)
	}
}
