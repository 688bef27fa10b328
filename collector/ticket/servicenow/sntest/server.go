// Package sntest is a ServiceNow Table API contract server, written from
// ServiceNow's public REST API documentation: /api/now/table/{table} with
// GET (sysparm_query, sysparm_limit, sysparm_fields), POST, PATCH/PUT on
// /{sys_id}; answers wrapped in {"result": ...}; errors as
// {"error":{"message","detail"},"status":"failure"}; 401 without valid basic
// or bearer auth, 403 for a read-only user's writes, 404 for unknown records,
// 429 with X-RateLimit-Reset (epoch seconds) while throttled, and resolving
// (state 6) requires close_code and close_notes.
package sntest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options configures who may call the server.
type Options struct {
	Username, Password string // basic auth
	Token              string // bearer auth
	ReadOnly           bool   // writes answer 403
}

// Server is an in-memory ServiceNow instance.
type Server struct {
	opts     Options
	mu       sync.Mutex
	records  map[string]map[string]string // sys_id -> fields
	order    []string
	journal  map[string][]string // sys_id -> work notes
	throttle int
}

// New returns an empty instance.
func New(o Options) *Server {
	return &Server{opts: o, records: map[string]map[string]string{}, journal: map[string][]string{}}
}

// Throttle makes the next n requests answer 429.
func (s *Server) Throttle(n int) { s.mu.Lock(); s.throttle = n; s.mu.Unlock() }

// Set overwrites a field, as an agent working the incident would.
func (s *Server) Set(sysID, field, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.records[sysID]; ok {
		r[field] = value
	}
}

// Field reads a field of a record.
func (s *Server) Field(sysID, field string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.records[sysID][field]
}

// WorkNotes returns the work notes journal of a record.
func (s *Server) WorkNotes(sysID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.journal[sysID]...)
}

// Len is the number of records.
func (s *Server) Len() int { s.mu.Lock(); defer s.mu.Unlock(); return len(s.records) }

// RateLimitBody is the body of a throttled answer.
const RateLimitBody = `{"error":{"message":"Rate limit exceeded","detail":"Too many requests for this user, try again later"},"status":"failure"}`

func fail(w http.ResponseWriter, status int, msg, detail string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"message": msg, "detail": detail}, "status": "failure"})
}

func ok(w http.ResponseWriter, status int, result any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"result": result})
}

func (s *Server) authorized(r *http.Request) bool {
	if u, p, ok := r.BasicAuth(); ok {
		return s.opts.Username != "" && u == s.opts.Username && p == s.opts.Password
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && s.opts.Token != "" && tok == s.opts.Token
}

// ServeHTTP implements the Table API subset.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.authorized(r) {
		fail(w, http.StatusUnauthorized, "User Not Authenticated", "Required to provide Auth information")
		return
	}
	if s.throttle > 0 {
		s.throttle--
		w.Header().Set("X-RateLimit-Limit", "100")
		w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(2*time.Second).Unix(), 10))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = io.WriteString(w, RateLimitBody)
		return
	}
	rest, found := strings.CutPrefix(r.URL.Path, "/api/now/table/")
	table, id, _ := strings.Cut(rest, "/")
	if !found || table == "" {
		fail(w, http.StatusBadRequest, "Requested URI does not represent any resource", r.URL.Path)
		return
	}
	if r.Method != http.MethodGet && s.opts.ReadOnly {
		fail(w, http.StatusForbidden, "Operation Failed", "ACL Exception Insert/Update Failed due to security constraints")
		return
	}
	switch {
	case r.Method == http.MethodGet && id == "":
		s.list(w, r, table)
	case r.Method == http.MethodGet:
		s.get(w, r, id)
	case r.Method == http.MethodPost && id == "":
		s.insert(w, r, table)
	case (r.Method == http.MethodPatch || r.Method == http.MethodPut) && id != "":
		s.update(w, r, id)
	default:
		fail(w, http.StatusMethodNotAllowed, "Method not Supported", r.Method+" "+r.URL.Path)
	}
}

func (s *Server) list(w http.ResponseWriter, r *http.Request, table string) {
	conds := parseQuery(r.URL.Query().Get("sysparm_query"))
	limit, err := strconv.Atoi(r.URL.Query().Get("sysparm_limit"))
	if err != nil || limit <= 0 {
		limit = 10000
	}
	var out []map[string]string
	for i := len(s.order) - 1; i >= 0 && len(out) < limit; i-- { // newest first
		rec := s.records[s.order[i]]
		if rec["sys_class_name"] == table && matches(rec, conds) {
			out = append(out, project(rec, r.URL.Query().Get("sysparm_fields")))
		}
	}
	if out == nil {
		out = []map[string]string{}
	}
	ok(w, http.StatusOK, out)
}

func (s *Server) get(w http.ResponseWriter, r *http.Request, id string) {
	rec, found := s.records[id]
	if !found {
		fail(w, http.StatusNotFound, "No Record found", "Record doesn't exist or ACL restricts the record retrieval")
		return
	}
	ok(w, http.StatusOK, project(rec, r.URL.Query().Get("sysparm_fields")))
}

func (s *Server) insert(w http.ResponseWriter, r *http.Request, table string) {
	in, err := decode(r)
	if err != nil {
		fail(w, http.StatusBadRequest, "Exception while reading request", err.Error())
		return
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	id := hex.EncodeToString(b)
	now := time.Now().UTC().Format("2006-01-02 15:04:05")
	rec := map[string]string{"sys_id": id, "sys_class_name": table, "state": "1",
		"number": "INC" + strconv.Itoa(1000000+len(s.order)), "sys_created_on": now, "sys_updated_on": now}
	for k, v := range in {
		if k == "work_notes" {
			s.journal[id] = append(s.journal[id], v)
			continue
		}
		rec[k] = v
	}
	s.records[id] = rec
	s.order = append(s.order, id)
	ok(w, http.StatusCreated, project(rec, r.URL.Query().Get("sysparm_fields")))
}

func (s *Server) update(w http.ResponseWriter, r *http.Request, id string) {
	rec, found := s.records[id]
	if !found {
		fail(w, http.StatusNotFound, "No Record found", "Record doesn't exist or ACL restricts the record retrieval")
		return
	}
	in, err := decode(r)
	if err != nil {
		fail(w, http.StatusBadRequest, "Exception while reading request", err.Error())
		return
	}
	if st, change := in["state"]; change && (rec["state"] == "7" || rec["state"] == "8") && st != rec["state"] {
		fail(w, http.StatusForbidden, "Operation Failed", "Closed and canceled incidents cannot change state")
		return
	}
	if in["state"] == "6" && (first(in["close_code"], rec["close_code"]) == "" || first(in["close_notes"], rec["close_notes"]) == "") {
		fail(w, http.StatusBadRequest, "Operation Failed", "Data Policy Exception: Resolution code and Resolution notes are mandatory")
		return
	}
	for k, v := range in {
		if k == "work_notes" {
			s.journal[id] = append(s.journal[id], v)
			continue
		}
		rec[k] = v
	}
	rec["sys_updated_on"] = time.Now().UTC().Format("2006-01-02 15:04:05")
	ok(w, http.StatusOK, project(rec, r.URL.Query().Get("sysparm_fields")))
}

func decode(r *http.Request) (map[string]string, error) {
	var in map[string]string
	err := json.NewDecoder(r.Body).Decode(&in)
	return in, err
}

// parseQuery reads field=value conditions joined by ^; ORDERBY terms are
// accepted (the list is newest first anyway).
func parseQuery(q string) map[string]string {
	conds := map[string]string{}
	for _, term := range strings.Split(q, "^") {
		if term == "" || strings.HasPrefix(term, "ORDERBY") {
			continue
		}
		k, v, _ := strings.Cut(term, "=")
		conds[k] = v
	}
	return conds
}

func matches(rec, conds map[string]string) bool {
	for k, v := range conds {
		if rec[k] != v {
			return false
		}
	}
	return true
}

func project(rec map[string]string, fields string) map[string]string {
	out := map[string]string{}
	if fields == "" {
		for k, v := range rec {
			out[k] = v
		}
		return out
	}
	for _, f := range strings.Split(fields, ",") {
		out[f] = rec[f]
	}
	return out
}

func first(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
