package jiratest

import (
	"encoding/json"
	"net/http"
)

// jsmFail is the service desk API's own error format (not the platform's).
func jsmFail(w http.ResponseWriter, status int, msg string) {
	reply(w, status, map[string]any{"errorMessage": msg, "i18nErrorMessage": map[string]any{"i18nKey": "sd.request.create.error", "parameters": []string{}}})
}

// createRequest answers POST /rest/servicedeskapi/request. With
// isAdfRequest the description is ADF, otherwise a plain string.
func (s *Server) createRequest(w http.ResponseWriter, r *http.Request) {
	var in struct {
		ServiceDeskID string          `json:"serviceDeskId"`
		RequestTypeID string          `json:"requestTypeId"`
		IsADF         bool            `json:"isAdfRequest"`
		Values        json.RawMessage `json:"requestFieldValues"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		jsmFail(w, http.StatusBadRequest, "Unexpected character in request body")
		return
	}
	if s.opts.ServiceDeskID == "" || in.ServiceDeskID != s.opts.ServiceDeskID || in.RequestTypeID != s.opts.RequestTypeID {
		jsmFail(w, http.StatusNotFound, "The request type you are trying to use does not exist or you do not have permission to view it.")
		return
	}
	var f createFields
	if err := json.Unmarshal(in.Values, &f); err != nil {
		jsmFail(w, http.StatusBadRequest, "requestFieldValues are invalid: "+err.Error())
		return
	}
	var asString string
	if !in.IsADF && len(f.Description) > 0 && json.Unmarshal(f.Description, &asString) != nil {
		jsmFail(w, http.StatusBadRequest, "The description must be text unless isAdfRequest is true.")
		return
	}
	if in.IsADF {
		if errs := s.checkFields(f); len(errs) > 0 {
			fail(w, http.StatusBadRequest, nil, errs)
			return
		}
	}
	is := s.newIssue(s.opts.Project, s.opts.Now())
	is.IssueType, is.Summary, is.Description, is.Labels, is.DueDate = "Service Request", f.Summary, f.Description, f.Labels, f.DueDate
	reply(w, http.StatusCreated, map[string]any{
		"issueId": is.ID, "issueKey": is.Key, "serviceDeskId": in.ServiceDeskID, "requestTypeId": in.RequestTypeID,
		"currentStatus": map[string]any{"status": is.Status.Name, "statusCategory": "NEW"},
		"_links":        map[string]string{"web": "http://" + r.Host + "/servicedesk/customer/portal/1/" + is.Key},
	})
}
