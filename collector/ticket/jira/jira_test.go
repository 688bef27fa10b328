package jira

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/nhiradar/nhiradar/collector/ticket"
	"github.com/nhiradar/nhiradar/collector/ticket/jira/jiratest"
	"github.com/nhiradar/nhiradar/collector/ticket/tickettest"
)

const token = "tok-0123456789"

func setup(t *testing.T, o jiratest.Options, cfg Config) (*jiratest.Server, *tickettest.Server, *Connector) {
	t.Helper()
	o.Email, o.Token = email, token
	js := jiratest.New(o)
	srv := tickettest.NewServer(t, js)
	cfg.URL = srv.URL
	return js, srv, newConnector(t, cfg, token, nil)
}

// lifecycle runs every operation once.
func lifecycle(t *testing.T, c *Connector) string {
	t.Helper()
	ctx := t.Context()
	req := tickettest.Request()
	if found, err := c.Find(ctx, req.Key); err != nil || found != nil {
		t.Fatalf("find before create: %v %v", found, err)
	}
	tk, err := c.Create(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	steps := []func() error{
		func() error { _, err := c.Find(ctx, req.Key); return err },
		func() error { return c.Comment(ctx, tk.ExternalID, "note") },
		func() error { return c.Close(ctx, tk.ExternalID, "fixed", "rotated") },
		func() error { _, err := c.Reopen(ctx, tk.ExternalID, "still there"); return err },
		func() error { _, err := c.Get(ctx, tk.ExternalID); return err },
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	return tk.ExternalID
}

func TestNeverCallsLegacySearch(t *testing.T) {
	js, srv, c := setup(t, jiratest.Options{IndexDelay: time.Hour}, Config{})
	lifecycle(t, c)
	for _, r := range srv.Requests() {
		path, _, _ := strings.Cut(r.URL, "?")
		if path == "/rest/api/3/search" || strings.HasPrefix(path, "/rest/api/2/") {
			t.Errorf("connector called %s %s", r.Method, r.URL)
		}
	}
	if n := js.Calls("POST /rest/api/3/search/jql"); n != 2 {
		t.Errorf("search/jql called %d times, want 2 (find before and after create)", n)
	}
}

func TestLegacySearchIsGone(t *testing.T) {
	_, srv, _ := setup(t, jiratest.Options{}, Config{})
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/rest/api/3/search?jql=project=NHI", nil)
	req.SetBasicAuth(email, token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct{ ErrorMessages []string }
	_ = json.NewDecoder(resp.Body).Decode(&body)
	if resp.StatusCode != http.StatusGone || len(body.ErrorMessages) == 0 || !strings.Contains(body.ErrorMessages[0], "/search/jql") {
		t.Errorf("legacy search: %d %v, want 410 pointing at /search/jql", resp.StatusCode, body.ErrorMessages)
	}
}

func TestFindAfterCreateNeedsReconcile(t *testing.T) {
	js, srv, c := setup(t, jiratest.Options{IndexDelay: time.Hour}, Config{})
	ctx := t.Context()
	req := tickettest.Request()
	tk, err := c.Create(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	found, err := c.Find(ctx, req.Key)
	if err != nil || found == nil || found.ExternalID != tk.ExternalID {
		t.Fatalf("find right after create: %+v %v, want %s", found, err, tk.ExternalID)
	}
	last := srv.Requests()[len(srv.Requests())-1]
	var body searchRequest
	if err := json.Unmarshal(last.Body, &body); err != nil || len(body.ReconcileIssues) != 1 {
		t.Fatalf("search body %s: want one reconcileIssues id", last.Body)
	}
	if !strings.Contains(body.JQL, `labels = "`+Label(req.Key)+`"`) || !strings.HasSuffix(body.JQL, "ORDER BY created DESC") ||
		body.MaxResults <= 0 || len(body.Fields) == 0 {
		t.Errorf("search body %+v: want the bounded label JQL, maxResults and limited fields", body)
	}

	// A connector that does not know the id sees what the index shows:
	// nothing yet. That is the inconsistency reconcileIssues covers.
	fresh := newConnector(t, Config{URL: srv.URL}, token, nil)
	if got, err := fresh.Find(ctx, req.Key); err != nil || got != nil {
		t.Fatalf("unreconciled find: %+v %v; the index delay must hide the new issue", got, err)
	}
	fresh.Remember(req.Key, tk.ExternalID) // the executor hands back its stored id
	if got, err := fresh.Find(ctx, req.Key); err != nil || got == nil || got.ExternalID != tk.ExternalID {
		t.Errorf("find after Remember: %+v %v", got, err)
	}
	if js.Len() != 1 {
		t.Errorf("%d issues, want 1", js.Len())
	}
}

func TestFindPagesAndMatchesLabelExactly(t *testing.T) {
	_, srv, c := setup(t, jiratest.Options{MaxResults: 1}, Config{})
	ctx := t.Context()
	want, err := c.Create(ctx, ticket.Request{Key: "F-1", Title: "upper", Type: ticket.TypeRemediation})
	if err != nil {
		t.Fatal(err)
	}
	// Newer, and its label equals F-1's but for case: JQL matches both.
	if _, err := c.Create(ctx, ticket.Request{Key: "f-1", Title: "lower", Type: ticket.TypeRemediation}); err != nil {
		t.Fatal(err)
	}
	fresh := newConnector(t, Config{URL: srv.URL}, token, nil)
	got, err := fresh.Find(ctx, "F-1")
	if err != nil || got == nil || got.ExternalID != want.ExternalID {
		t.Fatalf("find F-1: %+v %v, want %s", got, err, want.ExternalID)
	}
	var paged bool
	for _, r := range srv.Requests() {
		var b searchRequest
		if json.Unmarshal(r.Body, &b) == nil && b.NextPageToken != "" {
			paged = true
		}
	}
	if !paged {
		t.Error("no request carried nextPageToken; want paging past the case-variant label")
	}
}

func TestCreateFields(t *testing.T) {
	js, _, c := setup(t, jiratest.Options{}, Config{IssueType: "Bug", Priorities: map[string]string{"high": "Highest"}})
	req := tickettest.Request()
	req.Key = "F 6f/1c"
	req.Labels = []string{"nhi", "dormant key"}
	tk, err := c.Create(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	is := js.Issue(tk.ExternalID)
	if is == nil {
		t.Fatal("issue not stored")
	}
	if is.IssueType != "Bug" || is.Priority != "Highest" || is.DueDate != "2027-01-15" || is.Project != "NHI" || is.Summary != req.Title {
		t.Errorf("issue %+v", is)
	}
	if len(is.Labels) != 3 || is.Labels[0] != Label(req.Key) || is.Labels[2] != "dormant_key" || strings.Contains(is.Labels[0], " ") {
		t.Errorf("labels %q", is.Labels)
	}
	d := string(is.Description)
	for _, s := range []string{`"type":"doc"`, `"bulletList"`, "host: web-01", "remediation ticket, key F 6f/1c", "Queue: platform-team"} {
		if !strings.Contains(d, s) {
			t.Errorf("description lacks %s: %s", s, d)
		}
	}
	if !strings.HasSuffix(tk.URL, "/browse/"+is.Key) || tk.State != ticket.StateOpen {
		t.Errorf("ticket %+v", tk)
	}
}

func TestPriorityLeftOutWhenMappedEmpty(t *testing.T) {
	js, _, c := setup(t, jiratest.Options{}, Config{Priorities: map[string]string{"high": ""}})
	tk, err := c.Create(t.Context(), tickettest.Request())
	if err != nil || js.Issue(tk.ExternalID).Priority != "" {
		t.Errorf("priority %q, %v; want none", js.Issue(tk.ExternalID).Priority, err)
	}
}

func TestLabel(t *testing.T) {
	cases := map[string]string{"F-6f1c2a9e": "nhi-F-6f1c2a9e", "a.b_c-1": "nhi-a.b_c-1"}
	for key, want := range cases {
		if got := Label(key); got != want {
			t.Errorf("Label(%q) = %q, want %q", key, got, want)
		}
	}
	a, b := Label("a b"), Label("a_b")
	if a == b || strings.ContainsAny(a, " \"") || Label("a b") != a {
		t.Errorf("Label must be deterministic, space-free and keep keys apart: %q %q", a, b)
	}
	if long := Label(strings.Repeat("x", 400)); len(long) > 255 || long == Label(strings.Repeat("x", 401)) {
		t.Errorf("long label %d chars or colliding", len(long))
	}
}

func TestTransitionsAreDiscovered(t *testing.T) {
	js, srv, c := setup(t, jiratest.Options{}, Config{})
	ctx := t.Context()
	js.SetTransitions([]jiratest.Transition{
		{ID: "701", Name: "Start work", To: jiratest.InProgress},
		{ID: "702", Name: "Mark as fixed", To: jiratest.Done},
		{ID: "703", Name: "Back to backlog", To: jiratest.ToDo, From: []string{"Done"}},
		{ID: "704", Name: "Rework", To: jiratest.InProgress, From: []string{"Done"}},
	})
	tk, _ := c.Create(ctx, tickettest.Request())
	if err := c.Close(ctx, tk.ExternalID, "Won't Do", "accepted risk"); err != nil {
		t.Fatal(err)
	}
	if is := js.Issue(tk.ExternalID); is.Status != jiratest.Done || is.Resolution != "Won't Do" || len(is.Comments) != 1 {
		t.Fatalf("after close: %+v", is)
	}
	got, err := c.Reopen(ctx, tk.ExternalID, "still there")
	if err != nil || got.State != ticket.StateOpen {
		t.Fatalf("reopen: %+v %v; want open (the new-category target is preferred)", got, err)
	}
	if is := js.Issue(tk.ExternalID); is.Resolution != "" || len(is.Comments) != 2 {
		t.Errorf("after reopen: %+v", is)
	}
	var posted []string
	for _, r := range srv.Requests() {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL, "/transitions") {
			var b struct{ Transition struct{ ID string } }
			_ = json.Unmarshal(r.Body, &b)
			posted = append(posted, b.Transition.ID)
		}
	}
	if strings.Join(posted, ",") != "702,703" {
		t.Errorf("posted transitions %v, want the discovered 702 then 703", posted)
	}
}

func TestCloseIsIdempotentAndDefaultsResolution(t *testing.T) {
	js, _, c := setup(t, jiratest.Options{}, Config{})
	ctx := t.Context()
	tk, _ := c.Create(ctx, tickettest.Request())
	for range 2 {
		if err := c.Close(ctx, tk.ExternalID, "fixed", ""); err != nil {
			t.Fatal(err)
		}
	}
	is := js.Issue(tk.ExternalID)
	if is.Resolution != "Done" || len(is.Comments) != 1 {
		t.Errorf("resolution %q comments %d; want the default Done and one comment", is.Resolution, len(is.Comments))
	}
}

func TestNoWayBackIsCannotReopen(t *testing.T) {
	js, _, c := setup(t, jiratest.Options{}, Config{})
	ctx := t.Context()
	js.SetTransitions([]jiratest.Transition{{ID: "1", Name: "Finish", To: jiratest.Done}})
	tk, _ := c.Create(ctx, tickettest.Request())
	if err := c.Close(ctx, tk.ExternalID, "", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Reopen(ctx, tk.ExternalID, "x"); !errors.Is(err, ticket.ErrCannotReopen) {
		t.Errorf("want ErrCannotReopen, got %v", err)
	}
	js.SetTransitions(nil)
	js.SetStatus(tk.ExternalID, jiratest.ToDo)
	if err := c.Close(ctx, tk.ExternalID, "", ""); err == nil || !strings.Contains(err.Error(), "no transition to a done status") {
		t.Errorf("close without a done transition: %v", err)
	}
}

func wantStatus(t *testing.T, err error, status int) *ticket.Error {
	t.Helper()
	var e *ticket.Error
	if !errors.As(err, &e) || e.Status != status {
		t.Fatalf("want HTTP %d *ticket.Error, got %#v", status, err)
	}
	return e
}

func TestPermanentErrors(t *testing.T) {
	_, srv, c := setup(t, jiratest.Options{}, Config{})
	ctx := t.Context()
	attempts := 0
	r := ticket.Retrier{Sleep: func(context.Context, time.Duration) error { return nil }}
	srv.Inject(tickettest.Fault{Status: http.StatusGone, Body: jiratest.ErrorBody([]string{"The requested API has been removed."}, nil)})
	err := r.Do(ctx, func(ctx context.Context) error { attempts++; _, err := c.Find(ctx, "F-1"); return err })
	if e := wantStatus(t, err, http.StatusGone); e.Retryable || attempts != 1 || !strings.Contains(err.Error(), "removed") {
		t.Errorf("410: %v after %d attempts; want final after one", err, attempts)
	}
	bad := newConnector(t, Config{URL: srv.URL}, "wrong", nil)
	attempts = 0
	err = r.Do(ctx, func(ctx context.Context) error {
		attempts++
		_, err := bad.Create(ctx, tickettest.Request())
		return err
	})
	if e := wantStatus(t, err, http.StatusUnauthorized); e.Retryable || attempts != 1 || !strings.Contains(err.Error(), "jira credentials") {
		t.Errorf("401: %v after %d attempts", err, attempts)
	}
}

func TestForbiddenAndBadRequest(t *testing.T) {
	_, _, ro := setup(t, jiratest.Options{ReadOnly: true}, Config{})
	_, err := ro.Create(t.Context(), tickettest.Request())
	if e := wantStatus(t, err, http.StatusForbidden); e.Retryable || !strings.Contains(err.Error(), "permission") {
		t.Errorf("403: %v", err)
	}
	_, _, c := setup(t, jiratest.Options{}, Config{Project: "OPS"})
	_, err = c.Create(t.Context(), tickettest.Request())
	if e := wantStatus(t, err, http.StatusBadRequest); e.Retryable || !strings.Contains(err.Error(), "project: valid project is required") {
		t.Errorf("400: %v", err)
	}
}

func TestRateLimitHonoursRetryAfter(t *testing.T) {
	js, _, c := setup(t, jiratest.Options{}, Config{})
	js.Throttle(1) // answers Retry-After: 2
	var slept []time.Duration
	r := ticket.Retrier{Initial: time.Millisecond, Sleep: func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }}
	if err := r.Do(t.Context(), func(ctx context.Context) error { _, err := c.Find(ctx, "F-1"); return err }); err != nil {
		t.Fatal(err)
	}
	if len(slept) != 1 || slept[0] < 2*time.Second {
		t.Errorf("slept %v, want one wait of at least Retry-After 2s", slept)
	}
}

// Jira's X-RateLimit-Reset is ISO 8601 to the minute; alone it still gives
// a wait.
func TestRateLimitResetISO8601(t *testing.T) {
	_, srv, c := setup(t, jiratest.Options{}, Config{})
	reset := time.Now().Add(3 * time.Minute).UTC().Format("2006-01-02T15:04Z")
	srv.Inject(tickettest.Fault{Status: 429, Body: jiratest.RateLimitBody, Header: map[string]string{"X-RateLimit-Reset": reset}})
	_, err := c.Get(t.Context(), "10001")
	if e := wantStatus(t, err, 429); !e.Retryable || e.RetryAfter < 2*time.Minute || e.RetryAfter > 3*time.Minute {
		t.Errorf("429 with only X-RateLimit-Reset %s: %#v", reset, e)
	}
}

func TestConfig(t *testing.T) {
	t.Setenv("NHI_TEST_JIRA_TOKEN", token)
	ok := Config{URL: "https://x.atlassian.net", Email: email, Project: "NHI", TokenEnv: "NHI_TEST_JIRA_TOKEN"}
	if _, err := New(ok, nil); err != nil {
		t.Fatal(err)
	}
	bad := map[string]func(*Config){
		"email is required":   func(c *Config) { c.Email = "" },
		"project is required": func(c *Config) { c.Project = "" },
		"api token":           func(c *Config) { c.TokenEnv = "" },
		"is not critical":     func(c *Config) { c.Priorities = map[string]string{"urgent": "P1"} },
		"request_type_id":     func(c *Config) { c.ServiceDesk = &ServiceDesk{ID: "4"} },
	}
	for want, mutate := range bad {
		cfg := ok
		mutate(&cfg)
		if _, err := New(cfg, nil); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v", want, err)
		}
	}
}

func TestREADMEAndSample(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"/rest/api/3/search/jql", "reconcileIssues", "servicedeskapi/request", "statusCategory", "410"} {
		if !strings.Contains(string(readme), s) {
			t.Errorf("README lacks %s", s)
		}
	}
	raw, err := os.ReadFile("sample.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Ticketing struct {
			System string `yaml:"system"`
			Jira   Config `yaml:"jira"`
		} `yaml:"ticketing"`
	}
	if err := yaml.UnmarshalWithOptions(raw, &doc, yaml.Strict()); err != nil {
		t.Fatalf("sample.yaml: %v", err)
	}
	if cfg := doc.Ticketing.Jira; doc.Ticketing.System != Name || validate(cfg) != nil || cfg.TokenEnv == "" || cfg.Timeout != 30*time.Second {
		t.Errorf("sample config %+v: want a valid jira config with token_env", doc.Ticketing)
	}
}

func TestSlowSiteIsRetryableTimeout(t *testing.T) {
	_, srv, _ := setup(t, jiratest.Options{Latency: 300 * time.Millisecond}, Config{})
	c := newConnector(t, Config{URL: srv.URL}, token, &http.Client{Timeout: 50 * time.Millisecond})
	_, err := c.Find(t.Context(), "F-1")
	if err == nil || !ticket.IsRetryable(err) || !strings.Contains(err.Error(), "jira find") {
		t.Errorf("want a retryable jira find timeout, got %v", err)
	}
}

func TestServiceDeskCreate(t *testing.T) {
	js, srv, c := setup(t, jiratest.Options{ServiceDeskID: "4", RequestTypeID: "27", IndexDelay: time.Hour},
		Config{ServiceDesk: &ServiceDesk{ID: "4", RequestTypeID: "27"}})
	ctx := t.Context()
	req := tickettest.Request()
	tk, err := c.Create(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if js.Calls("POST /rest/servicedeskapi/request") != 1 || js.Calls("POST /rest/api/3/issue") != 0 {
		t.Errorf("JSM mode must create through servicedeskapi only")
	}
	is := js.Issue(tk.ExternalID)
	if is == nil || is.Labels[0] != Label(req.Key) || !strings.Contains(string(is.Description), `"type":"doc"`) || is.Priority != "" {
		t.Fatalf("request %+v: want the label, an ADF description and no priority", is)
	}
	if found, err := c.Find(ctx, req.Key); err != nil || found == nil || found.ExternalID != tk.ExternalID {
		t.Errorf("find after JSM create: %+v %v", found, err)
	}
	wrong := newConnector(t, Config{URL: srv.URL, ServiceDesk: &ServiceDesk{ID: "4", RequestTypeID: "99"}}, token, nil)
	_, err = wrong.Create(ctx, req)
	if e := wantStatus(t, err, http.StatusNotFound); e.Retryable || !strings.Contains(err.Error(), "request type") {
		t.Errorf("unknown request type: %v", err)
	}
}
