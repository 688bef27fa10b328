// Package jiratest is a Jira Cloud REST v3 (and Jira Service Management
// request) contract server, written from Atlassian's public documentation:
//
//   - POST /rest/api/3/issue (201 {id,key,self}; 400 with errors per field for
//     an unknown project, issue type or priority, a label with spaces, a
//     missing summary or a description that is not ADF);
//   - GET /rest/api/3/issue/{idOrKey}?fields=…; 404 for unknown issues;
//   - POST /rest/api/3/issue/{id}/comment (ADF body, 201);
//   - GET/POST /rest/api/3/issue/{id}/transitions (the workflow below; 400 for
//     a transition that is not valid from the current status, 204 on success);
//   - POST /rest/api/3/search/jql: bounded JQL only, maxResults, fields,
//     nextPageToken paging, and eventual consistency: an issue created less
//     than Options.IndexDelay ago is hidden unless its id is in
//     reconcileIssues (at most 50 ids);
//   - /rest/api/3/search (the removed legacy search): 410 Gone;
//   - POST /rest/servicedeskapi/request (serviceDeskId, requestTypeId,
//     requestFieldValues) for JSM;
//   - errors as {"errorMessages":[…],"errors":{…}}; 401 without valid basic
//     auth (email + API token), 403 for a user without write permission, 429
//     with Retry-After (seconds) and X-RateLimit-Reset (ISO 8601,
//     yyyy-MM-ddTHH:mmZ) while throttled, and an optional latency on every
//     answer (slow site).
//
// The workflow has statuses To Do (category new), In Progress
// (indeterminate) and Done (done); every status can move to every other one.
// Transitions can be renamed or replaced to prove clients discover them.
package jiratest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options configures the site.
type Options struct {
	Email, Token string        // basic auth
	ReadOnly     bool          // writes answer 403
	Project      string        // project key, default NHI
	IssueTypes   []string      // default Task, Bug
	IndexDelay   time.Duration // how long search/jql hides a new issue
	MaxResults   int           // page size cap, default 100
	Latency      time.Duration // every answer waits this long (slow site)
	// ServiceDeskID and RequestTypeID accepted by the JSM endpoint.
	ServiceDeskID, RequestTypeID string
	Now                          func() time.Time
}

// Status is a workflow status.
type Status struct {
	ID, Name, Category string // category: new, indeterminate, done
}

// Workflow statuses.
var (
	ToDo       = Status{"10000", "To Do", "new"}
	InProgress = Status{"3", "In Progress", "indeterminate"}
	Done       = Status{"10001", "Done", "done"}
)

// Transition is a workflow move; From empty means from any other status.
type Transition struct {
	ID, Name string
	To       Status
	From     []string // status names; empty = any status but To
}

// DefaultTransitions is the simplified workflow of a team-managed project.
func DefaultTransitions() []Transition {
	return []Transition{{ID: "11", Name: "To Do", To: ToDo}, {ID: "21", Name: "In Progress", To: InProgress}, {ID: "31", Name: "Done", To: Done}}
}

// Issue is the server's record of one issue.
type Issue struct {
	ID, Key, Project, IssueType, Summary, Priority, DueDate string
	Description                                             json.RawMessage
	Labels                                                  []string
	Status                                                  Status
	Resolution                                              string
	Comments                                                []json.RawMessage
	Created, Updated                                        time.Time
}

// Server is an in-memory Jira site.
type Server struct {
	opts        Options
	mu          sync.Mutex
	issues      map[string]*Issue // by id
	order       []string
	transitions []Transition
	throttle    int
	nextID      int
	calls       map[string]int // "METHOD /path-pattern" -> count
}

// New returns an empty site.
func New(o Options) *Server {
	if o.Project == "" {
		o.Project = "NHI"
	}
	if len(o.IssueTypes) == 0 {
		o.IssueTypes = []string{"Task", "Bug"}
	}
	if o.MaxResults <= 0 {
		o.MaxResults = 100
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Server{opts: o, issues: map[string]*Issue{}, transitions: DefaultTransitions(), nextID: 10000, calls: map[string]int{}}
}

// Throttle makes the next n requests answer 429.
func (s *Server) Throttle(n int) { s.mu.Lock(); s.throttle = n; s.mu.Unlock() }

// SetTransitions replaces the workflow's transitions (rename, renumber).
func (s *Server) SetTransitions(ts []Transition) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.transitions = append([]Transition(nil), ts...)
}

// SetStatus moves an issue directly, as an agent working it would.
func (s *Server) SetStatus(id string, st Status) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if is, ok := s.issues[id]; ok {
		setStatus(is, st, "Done", s.opts.Now())
	}
}

// Issue returns a copy of an issue, or nil.
func (s *Server) Issue(id string) *Issue {
	s.mu.Lock()
	defer s.mu.Unlock()
	is, ok := s.issues[id]
	if !ok {
		return nil
	}
	cp := *is
	cp.Labels = append([]string(nil), is.Labels...)
	cp.Comments = append([]json.RawMessage(nil), is.Comments...)
	return &cp
}

// Len is the number of issues.
func (s *Server) Len() int { s.mu.Lock(); defer s.mu.Unlock(); return len(s.issues) }

// Calls counts requests by route, e.g. "POST /rest/api/3/search/jql".
func (s *Server) Calls(route string) int { s.mu.Lock(); defer s.mu.Unlock(); return s.calls[route] }

// ErrorBody is Jira's error format.
func ErrorBody(messages []string, fields map[string]string) string {
	if messages == nil {
		messages = []string{}
	}
	if fields == nil {
		fields = map[string]string{}
	}
	b, _ := json.Marshal(map[string]any{"errorMessages": messages, "errors": fields})
	return string(b)
}

// RateLimitBody is the body of a throttled answer.
var RateLimitBody = ErrorBody([]string{"Rate limit exceeded."}, nil)

// RateLimitHeaders are the headers of a throttled answer asking for wait.
func RateLimitHeaders(now time.Time, wait time.Duration) map[string]string {
	return map[string]string{
		"Retry-After":           strconv.Itoa(int(wait.Round(time.Second) / time.Second)),
		"X-RateLimit-Reset":     now.Add(wait).UTC().Format("2006-01-02T15:04Z"),
		"X-RateLimit-Limit":     "100",
		"RateLimit-Reason":      "jira-burst-based",
		"X-RateLimit-NearLimit": "true",
	}
}

func fail(w http.ResponseWriter, status int, messages []string, fields map[string]string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, ErrorBody(messages, fields))
}

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if v != nil {
		_ = json.NewEncoder(w).Encode(v)
	}
}

func (s *Server) authorized(r *http.Request) bool {
	u, p, ok := r.BasicAuth()
	return ok && s.opts.Email != "" && u == s.opts.Email && p == s.opts.Token
}

// ServeHTTP routes the REST subset.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.opts.Latency > 0 { // outside the lock: a slow answer must not stall others
		select {
		case <-time.After(s.opts.Latency):
		case <-r.Context().Done():
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	route := r.Method + " " + pattern(r.URL.Path)
	s.calls[route]++
	if !s.authorized(r) {
		fail(w, http.StatusUnauthorized, []string{"Client must be authenticated to access this resource."}, nil)
		return
	}
	if s.throttle > 0 {
		s.throttle--
		for k, v := range RateLimitHeaders(s.opts.Now(), 2*time.Second) {
			w.Header().Set(k, v)
		}
		fail(w, http.StatusTooManyRequests, []string{"Rate limit exceeded."}, nil)
		return
	}
	if r.Method != http.MethodGet && s.opts.ReadOnly && !strings.HasPrefix(r.URL.Path, "/rest/api/3/search") {
		fail(w, http.StatusForbidden, []string{"You do not have permission to create or edit issues in this project."}, nil)
		return
	}
	s.route(w, r, route)
}

func (s *Server) route(w http.ResponseWriter, r *http.Request, route string) {
	id := issueID(r.URL.Path)
	switch route {
	case "POST /rest/api/3/issue":
		s.create(w, r)
	case "GET /rest/api/3/issue/{id}":
		s.get(w, r, id)
	case "POST /rest/api/3/issue/{id}/comment":
		s.comment(w, r, id)
	case "GET /rest/api/3/issue/{id}/transitions":
		s.listTransitions(w, r, id)
	case "POST /rest/api/3/issue/{id}/transitions":
		s.doTransition(w, r, id)
	case "POST /rest/api/3/search/jql", "GET /rest/api/3/search/jql":
		s.search(w, r)
	case "GET /rest/api/3/search", "POST /rest/api/3/search":
		fail(w, http.StatusGone, []string{"The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"}, nil)
	case "POST /rest/servicedeskapi/request":
		s.createRequest(w, r)
	default:
		fail(w, http.StatusNotFound, []string{"No resource found for " + route}, nil)
	}
}

// pattern replaces the issue id or key in a path by {id}.
func pattern(path string) string {
	rest, ok := strings.CutPrefix(path, "/rest/api/3/issue/")
	if !ok || rest == "" {
		return path
	}
	_, tail, _ := strings.Cut(rest, "/")
	if tail != "" {
		return "/rest/api/3/issue/{id}/" + tail
	}
	return "/rest/api/3/issue/{id}"
}

func issueID(path string) string {
	rest, _ := strings.CutPrefix(path, "/rest/api/3/issue/")
	id, _, _ := strings.Cut(rest, "/")
	return id
}

// lookup finds an issue by id or key.
func (s *Server) lookup(idOrKey string) *Issue {
	if is, ok := s.issues[idOrKey]; ok {
		return is
	}
	for _, is := range s.issues {
		if is.Key == idOrKey {
			return is
		}
	}
	return nil
}

func notFound(w http.ResponseWriter) {
	fail(w, http.StatusNotFound, []string{"Issue does not exist or you do not have permission to see it."}, nil)
}

func (s *Server) newIssue(project string, now time.Time) *Issue {
	s.nextID++
	id := strconv.Itoa(s.nextID)
	is := &Issue{ID: id, Key: fmt.Sprintf("%s-%d", project, len(s.order)+1), Project: project, Status: ToDo, Created: now, Updated: now}
	s.issues[id] = is
	s.order = append(s.order, id)
	return is
}

func setStatus(is *Issue, st Status, resolution string, now time.Time) {
	is.Status = st
	is.Updated = now
	switch {
	case st.Category != "done":
		is.Resolution = "" // Jira clears the resolution when leaving done
	case is.Resolution == "":
		is.Resolution = resolution
	}
}
