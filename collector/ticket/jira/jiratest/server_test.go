package jiratest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func call(t *testing.T, h http.Handler, method, path, body string, auth bool) (int, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(method, path, bytes.NewBufferString(body))
	if auth {
		req.SetBasicAuth("a@example.com", "tok")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var out map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &out)
	return rec.Code, out
}

const createBody = `{"fields":{"project":{"key":"NHI"},"issuetype":{"name":"Task"},"summary":"s","labels":["nhi-x"],
"description":{"type":"doc","version":1,"content":[{"type":"paragraph","content":[{"type":"text","text":"b"}]}]}}}`

func TestContractAnswers(t *testing.T) {
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	s := New(Options{Email: "a@example.com", Token: "tok", IndexDelay: time.Minute, Now: func() time.Time { return now }})
	code, created := call(t, s, "POST", "/rest/api/3/issue", createBody, true)
	if code != 201 || created["id"] == nil {
		t.Fatalf("create: %d %v", code, created)
	}
	id := created["id"].(string)
	cases := []struct {
		name, method, path, body string
		auth                     bool
		code                     int
		has                      string
	}{
		{"no auth", "GET", "/rest/api/3/issue/" + id, "", false, 401, "authenticated"},
		{"unknown issue", "GET", "/rest/api/3/issue/NHI-99", "", true, 404, "does not exist"},
		{"legacy search", "POST", "/rest/api/3/search", `{"jql":"labels = x"}`, true, 410, "/search/jql"},
		{"unbounded", "POST", "/rest/api/3/search/jql", `{"jql":"ORDER BY created DESC"}`, true, 400, "Unbounded"},
		{"other field", "POST", "/rest/api/3/search/jql", `{"jql":"assignee = bob"}`, true, 400, "does not exist"},
		{"too many reconcile", "POST", "/rest/api/3/search/jql", `{"jql":"labels = x","reconcileIssues":[` + strings.Repeat("1,", 50) + `1]}`, true, 400, "at most 50"},
		{"label with space", "POST", "/rest/api/3/issue", strings.Replace(createBody, "nhi-x", "nhi x", 1), true, 400, "contains spaces"},
		{"plain description", "POST", "/rest/api/3/issue", `{"fields":{"project":{"key":"NHI"},"issuetype":{"name":"Task"},"summary":"s","description":"text"}}`, true, 400, "Atlassian Document"},
		{"bad transition", "POST", "/rest/api/3/issue/" + id + "/transitions", `{"transition":{"id":"11"}}`, true, 400, "not valid"},
		{"field off screen", "POST", "/rest/api/3/issue/" + id + "/transitions", `{"transition":{"id":"21"},"fields":{"resolution":{"name":"Done"}}}`, true, 400, "not on the appropriate screen"},
	}
	for _, c := range cases {
		code, out := call(t, s, c.method, c.path, c.body, c.auth)
		b, _ := json.Marshal(out)
		if code != c.code || !strings.Contains(string(b), c.has) {
			t.Errorf("%s: %d %s, want %d with %q", c.name, code, b, c.code, c.has)
		}
	}
	// The index delay hides the new issue until it is reconciled or old enough.
	search := func(body string) int {
		_, out := call(t, s, "POST", "/rest/api/3/search/jql", body, true)
		issues, _ := out["issues"].([]any)
		return len(issues)
	}
	if n := search(`{"jql":"labels = \"nhi-x\""}`); n != 0 {
		t.Errorf("fresh issue visible without reconcile: %d", n)
	}
	if n := search(`{"jql":"labels = \"nhi-x\"","reconcileIssues":[` + id + `]}`); n != 1 {
		t.Errorf("reconciled search found %d, want 1", n)
	}
	now = now.Add(2 * time.Minute)
	if n := search(`{"jql":"project = NHI AND labels = \"nhi-x\" ORDER BY created DESC"}`); n != 1 {
		t.Errorf("indexed search found %d, want 1", n)
	}
}

func TestThrottleHeaders(t *testing.T) {
	s := New(Options{Email: "a@example.com", Token: "tok"})
	s.Throttle(1)
	req := httptest.NewRequest("GET", "/rest/api/3/issue/1", nil)
	req.SetBasicAuth("a@example.com", "tok")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	reset, err := time.Parse("2006-01-02T15:04Z", rec.Header().Get("X-RateLimit-Reset"))
	if rec.Code != 429 || rec.Header().Get("Retry-After") != "2" || err != nil || reset.Before(time.Now().Add(-time.Minute)) {
		t.Errorf("429 %d, Retry-After %q, reset %q (%v)", rec.Code, rec.Header().Get("Retry-After"), rec.Header().Get("X-RateLimit-Reset"), err)
	}
}
