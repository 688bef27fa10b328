package jiratest

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// maxReconcile is the documented cap on reconcileIssues.
const maxReconcile = 50

type searchRequest struct {
	JQL             string   `json:"jql"`
	MaxResults      *int     `json:"maxResults"`
	Fields          []string `json:"fields"`
	NextPageToken   string   `json:"nextPageToken"`
	ReconcileIssues []int64  `json:"reconcileIssues"`
}

// search answers POST /rest/api/3/search/jql. Issues younger than
// IndexDelay are not yet indexed: only reconcileIssues brings them in.
func (s *Server) search(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		fail(w, http.StatusMethodNotAllowed, []string{"This contract server implements the POST form only."}, nil)
		return
	}
	var in searchRequest
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		fail(w, http.StatusBadRequest, []string{"Invalid request payload. Refer to the REST API documentation and try again."}, nil)
		return
	}
	q, msg := parseJQL(in.JQL)
	if msg != "" {
		fail(w, http.StatusBadRequest, []string{msg}, nil)
		return
	}
	if len(in.ReconcileIssues) > maxReconcile {
		fail(w, http.StatusBadRequest, []string{"reconcileIssues accepts at most 50 issue ids."}, nil)
		return
	}
	offset, ok := decodeToken(in.NextPageToken)
	if !ok {
		fail(w, http.StatusBadRequest, []string{"The provided next page token is invalid or expired."}, nil)
		return
	}
	s.page(w, r, s.matching(q, in.ReconcileIssues), offset, s.pageSize(in.MaxResults), in.Fields)
}

func (s *Server) pageSize(asked *int) int {
	n := 50
	if asked != nil {
		n = *asked
	}
	return max(1, min(n, s.opts.MaxResults))
}

func (s *Server) page(w http.ResponseWriter, r *http.Request, hits []*Issue, offset, size int, fields []string) {
	if len(fields) == 0 {
		fields = []string{"id"} // search/jql returns only ids unless fields are asked for
	}
	end := min(offset+size, len(hits))
	list := []map[string]any{}
	for _, is := range hits[min(offset, end):end] {
		list = append(list, render(r, is, fields))
	}
	out := map[string]any{"issues": list, "isLast": end >= len(hits)}
	if end < len(hits) {
		out["nextPageToken"] = encodeToken(end)
	}
	reply(w, http.StatusOK, out)
}

// matching applies the query and the index delay, in query order.
func (s *Server) matching(q query, reconcile []int64) []*Issue {
	cutoff := s.opts.Now().Add(-s.opts.IndexDelay)
	var hits []*Issue
	for _, id := range s.order {
		is := s.issues[id]
		n, _ := strconv.ParseInt(id, 10, 64)
		indexed := s.opts.IndexDelay <= 0 || !is.Created.After(cutoff) || slices.Contains(reconcile, n)
		if indexed && q.matches(is) {
			hits = append(hits, is)
		}
	}
	if q.desc {
		slices.Reverse(hits)
	}
	return hits
}

// query is the JQL subset: clauses `field = "value"` joined by AND over
// project and labels, then ORDER BY created ASC|DESC.
type query struct {
	project, label string
	desc           bool
}

// matches: project keys and labels are compared case-insensitively (the
// permissive reading), so clients must check the labels they get back.
func (q query) matches(is *Issue) bool {
	if q.project != "" && !strings.EqualFold(q.project, is.Project) {
		return false
	}
	if q.label == "" {
		return true
	}
	return slices.ContainsFunc(is.Labels, func(l string) bool { return strings.EqualFold(l, q.label) })
}

var (
	orderRe  = regexp.MustCompile(`(?i)(?:^|\s+)ORDER\s+BY\s+(\w+)(?:\s+(ASC|DESC))?\s*$`)
	clauseRe = regexp.MustCompile(`^\s*(\w+)\s*=\s*(?:"([^"\\]*)"|([\w.-]+))\s*$`)
	andRe    = regexp.MustCompile(`(?i)\s+AND\s+`)
)

func parseJQL(jql string) (query, string) {
	var q query
	if m := orderRe.FindStringSubmatch(jql); m != nil {
		if !strings.EqualFold(m[1], "created") {
			return q, "This contract server orders by created only, not '" + m[1] + "'."
		}
		q.desc = strings.EqualFold(m[2], "DESC")
		jql = jql[:len(jql)-len(m[0])]
	}
	if strings.TrimSpace(jql) == "" {
		return q, "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
	}
	for _, clause := range andRe.Split(jql, -1) {
		m := clauseRe.FindStringSubmatch(clause)
		if m == nil {
			return q, "Error in the JQL Query: unsupported clause '" + strings.TrimSpace(clause) + "'."
		}
		switch v := m[2] + m[3]; strings.ToLower(m[1]) {
		case "project":
			q.project = v
		case "labels":
			q.label = v
		default:
			return q, "Field '" + m[1] + "' does not exist or you do not have permission to view it."
		}
	}
	return q, ""
}

func encodeToken(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("page:" + strconv.Itoa(offset)))
}

func decodeToken(tok string) (int, bool) {
	if tok == "" {
		return 0, true
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimPrefix(string(b), "page:"))
	return n, err == nil && n >= 0
}
