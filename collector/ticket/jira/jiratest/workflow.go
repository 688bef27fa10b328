package jiratest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// available lists the transitions offered from the issue's status.
func (s *Server) available(is *Issue) []Transition {
	var out []Transition
	for _, t := range s.transitions {
		if t.To.Name == is.Status.Name {
			continue
		}
		if len(t.From) > 0 && !slices.Contains(t.From, is.Status.Name) {
			continue
		}
		out = append(out, t)
	}
	return out
}

func (s *Server) listTransitions(w http.ResponseWriter, r *http.Request, id string) {
	is := s.lookup(id)
	if is == nil {
		notFound(w)
		return
	}
	withFields := strings.Contains(r.URL.Query().Get("expand"), "transitions.fields")
	list := []map[string]any{}
	for _, t := range s.available(is) {
		list = append(list, transitionJSON(t, withFields))
	}
	reply(w, http.StatusOK, map[string]any{"expand": "transitions", "transitions": list})
}

// transitionJSON: moves into done have a screen with the resolution field.
func transitionJSON(t Transition, withFields bool) map[string]any {
	done := t.To.Category == "done"
	m := map[string]any{"id": t.ID, "name": t.Name, "to": statusJSON(t.To), "hasScreen": done,
		"isGlobal": len(t.From) == 0, "isInitial": false, "isAvailable": true, "isConditional": false, "isLooped": false}
	if withFields {
		fields := map[string]any{}
		if done {
			var allowed []map[string]string
			for i, name := range resolutions {
				allowed = append(allowed, map[string]string{"id": strconv.Itoa(10000 + i), "name": name})
			}
			fields["resolution"] = map[string]any{"required": false, "name": "Resolution", "key": "resolution",
				"operations": []string{"set"}, "allowedValues": allowed}
		}
		m["fields"] = fields
	}
	return m
}

func (s *Server) doTransition(w http.ResponseWriter, r *http.Request, id string) {
	is := s.lookup(id)
	if is == nil {
		notFound(w)
		return
	}
	var in struct {
		Transition nameRef            `json:"transition"`
		Fields     map[string]nameRef `json:"fields"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		fail(w, http.StatusBadRequest, []string{"Unexpected character in request body: " + err.Error()}, nil)
		return
	}
	t, ok := s.findTransition(is, in.Transition.ID)
	if !ok {
		fail(w, http.StatusBadRequest, []string{"Transition id '" + in.Transition.ID + "' is not valid for this issue."}, nil)
		return
	}
	resolution := "Done" // the default post function on a done transition
	for name, v := range in.Fields {
		switch {
		case name != "resolution" || t.To.Category != "done":
			fail(w, http.StatusBadRequest, nil, map[string]string{name: "Field '" + name + "' cannot be set. It is not on the appropriate screen, or unknown."})
			return
		case !slices.Contains(resolutions, v.Name):
			fail(w, http.StatusBadRequest, nil, map[string]string{"resolution": "Resolution name '" + v.Name + "' is not valid"})
			return
		}
		resolution = v.Name
	}
	setStatus(is, t.To, resolution, s.opts.Now())
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) findTransition(is *Issue, id string) (Transition, bool) {
	for _, t := range s.available(is) {
		if t.ID == id {
			return t, true
		}
	}
	return Transition{}, false
}
