package jiratest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// jiraTime is REST v3's date-time format.
const jiraTime = "2006-01-02T15:04:05.000-0700"

// priorities are a site's default priority scheme.
var priorities = []string{"Highest", "High", "Medium", "Low", "Lowest"}

// resolutions are a site's default resolutions.
var resolutions = []string{"Done", "Won't Do", "Duplicate"}

type nameRef struct {
	ID   string `json:"id,omitempty"`
	Key  string `json:"key,omitempty"`
	Name string `json:"name,omitempty"`
}

type createFields struct {
	Project     nameRef         `json:"project"`
	IssueType   nameRef         `json:"issuetype"`
	Summary     string          `json:"summary"`
	Description json.RawMessage `json:"description"`
	Labels      []string        `json:"labels"`
	Priority    *nameRef        `json:"priority"`
	DueDate     string          `json:"duedate"`
}

func (s *Server) create(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Fields createFields `json:"fields"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		fail(w, http.StatusBadRequest, []string{"Unexpected character in request body: " + err.Error()}, nil)
		return
	}
	f := in.Fields
	errs := s.checkFields(f)
	if f.Project.Key != s.opts.Project {
		errs["project"] = "valid project is required"
	}
	if !slices.Contains(s.opts.IssueTypes, f.IssueType.Name) {
		errs["issuetype"] = "Specify an issue type"
	}
	if f.Priority != nil && !slices.Contains(priorities, f.Priority.Name) {
		errs["priority"] = "Specify the Priority (name) in the string format"
	}
	if len(errs) > 0 {
		fail(w, http.StatusBadRequest, nil, errs)
		return
	}
	is := s.newIssue(f.Project.Key, s.opts.Now())
	is.IssueType, is.Summary, is.Description, is.Labels, is.DueDate = f.IssueType.Name, f.Summary, f.Description, f.Labels, f.DueDate
	if f.Priority != nil {
		is.Priority = f.Priority.Name
	}
	reply(w, http.StatusCreated, map[string]string{"id": is.ID, "key": is.Key, "self": "http://" + r.Host + "/rest/api/3/issue/" + is.ID})
}

// checkFields validates what both create APIs share.
func (s *Server) checkFields(f createFields) map[string]string {
	errs := map[string]string{}
	if strings.TrimSpace(f.Summary) == "" {
		errs["summary"] = "You must specify a summary of the issue."
	} else if len(f.Summary) > 255 || strings.ContainsAny(f.Summary, "\r\n") {
		errs["summary"] = "Summary must be less than 255 characters and on one line."
	}
	if len(f.Description) > 0 && !isADF(f.Description) {
		errs["description"] = "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
	}
	for _, l := range f.Labels {
		if strings.ContainsAny(l, " \t") || l == "" || len(l) > 255 {
			errs["labels"] = "The label '" + l + "' contains spaces which is invalid."
		}
	}
	if f.DueDate != "" {
		if _, err := time.Parse(time.DateOnly, f.DueDate); err != nil {
			errs["duedate"] = "Error parsing date string: " + f.DueDate
		}
	}
	return errs
}

// isADF accepts a document root: type doc, version 1, a content array.
func isADF(raw json.RawMessage) bool {
	var d struct {
		Type    string            `json:"type"`
		Version int               `json:"version"`
		Content []json.RawMessage `json:"content"`
	}
	return json.Unmarshal(raw, &d) == nil && d.Type == "doc" && d.Version == 1 && d.Content != nil
}

func (s *Server) get(w http.ResponseWriter, r *http.Request, id string) {
	is := s.lookup(id)
	if is == nil {
		notFound(w)
		return
	}
	reply(w, http.StatusOK, render(r, is, fieldList(r.URL.Query().Get("fields"))))
}

func fieldList(csv string) []string {
	if csv == "" {
		return nil
	}
	return strings.Split(csv, ",")
}

// render writes an issue with only the fields asked for (all when none).
func render(r *http.Request, is *Issue, fields []string) map[string]any {
	all := map[string]any{
		"summary":    is.Summary,
		"status":     statusJSON(is.Status),
		"resolution": nil,
		"labels":     is.Labels,
		"created":    is.Created.Format(jiraTime),
		"updated":    is.Updated.Format(jiraTime),
		"issuetype":  map[string]string{"name": is.IssueType},
		"project":    map[string]string{"key": is.Project},
		"duedate":    nil,
		"priority":   nil,
	}
	if is.Resolution != "" {
		all["resolution"] = map[string]string{"name": is.Resolution}
	}
	if is.DueDate != "" {
		all["duedate"] = is.DueDate
	}
	if is.Priority != "" {
		all["priority"] = map[string]string{"name": is.Priority}
	}
	out := all
	if len(fields) > 0 {
		out = map[string]any{}
		for _, f := range fields {
			if v, ok := all[f]; ok {
				out[f] = v
			}
		}
	}
	return map[string]any{"id": is.ID, "key": is.Key, "self": "http://" + r.Host + "/rest/api/3/issue/" + is.ID, "fields": out}
}

var categories = map[string]map[string]any{
	"new":           {"id": 2, "key": "new", "colorName": "blue-gray", "name": "To Do"},
	"indeterminate": {"id": 4, "key": "indeterminate", "colorName": "yellow", "name": "In Progress"},
	"done":          {"id": 3, "key": "done", "colorName": "green", "name": "Done"},
}

func statusJSON(st Status) map[string]any {
	return map[string]any{"id": st.ID, "name": st.Name, "statusCategory": categories[st.Category]}
}

func (s *Server) comment(w http.ResponseWriter, r *http.Request, id string) {
	is := s.lookup(id)
	if is == nil {
		notFound(w)
		return
	}
	var in struct {
		Body json.RawMessage `json:"body"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || !isADF(in.Body) {
		fail(w, http.StatusBadRequest, nil, map[string]string{"comment": "Comment body must be an Atlassian Document and can not be empty!"})
		return
	}
	is.Comments = append(is.Comments, in.Body)
	is.Updated = s.opts.Now()
	reply(w, http.StatusCreated, map[string]any{"id": strconv.Itoa(len(is.Comments)), "body": in.Body, "created": is.Updated.Format(jiraTime)})
}
