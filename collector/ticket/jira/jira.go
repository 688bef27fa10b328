// Package jira is the Jira Cloud / Jira Service Management ticket connector
// on REST v3. The finding key becomes a deterministic label (Label); Find
// searches for it through POST /rest/api/3/search/jql only, and because that
// search is eventually consistent the connector remembers the id of every
// issue it created (and any id the caller hands back with Remember) and
// passes them as reconcileIssues, so a Find right after a Create sees it.
// Workflow transitions are discovered per issue, never hard-coded.
package jira

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/nhiradar/nhiradar/collector/ticket"
)

// Name is the connector's system name.
const Name = "jira"

// Config of the Jira connector. The API token comes from env or file only.
type Config struct {
	URL       string `yaml:"url"`   // https://example.atlassian.net
	Email     string `yaml:"email"` // the Atlassian account the token belongs to
	TokenEnv  string `yaml:"token_env"`
	TokenFile string `yaml:"token_file"`
	Project   string `yaml:"project"`    // project key, e.g. NHI; also scopes Find
	IssueType string `yaml:"issue_type"` // default Task
	// Priorities maps critical/high/medium/low to Jira priority names;
	// missing keys take the defaults (Highest, High, Medium, Low), and an
	// empty name leaves the priority field out (when it is not on the screen).
	Priorities map[string]string `yaml:"priorities"`
	// CloseResolution is used when the done transition asks for a resolution
	// and the caller's resolution is not one of the allowed names.
	CloseResolution string `yaml:"close_resolution"` // default Done
	// ReopenNames are preferred transition names when reopening.
	ReopenNames    []string      `yaml:"reopen_names"` // default Reopen, Re-open, To Do, Open, Backlog
	ServiceDesk    *ServiceDesk  `yaml:"service_desk"` // set to create through JSM
	MaxSearchPages int           `yaml:"max_search_pages"`
	Timeout        time.Duration `yaml:"timeout"`
	Logger         *slog.Logger  `yaml:"-"`
}

// ServiceDesk switches Create to the JSM customer request API.
type ServiceDesk struct {
	ID            string `yaml:"id"`              // serviceDeskId
	RequestTypeID string `yaml:"request_type_id"` // requestTypeId
	// SetPriority sends the priority; only when the request type has the field.
	SetPriority bool `yaml:"set_priority"`
}

var defaultPriorities = map[string]string{"critical": "Highest", "high": "High", "medium": "Medium", "low": "Low"}

// Connector talks to one Jira Cloud site.
type Connector struct {
	base       string
	auth       string // Authorization header value
	cfg        Config
	priorities map[string]string
	client     *http.Client
	log        *slog.Logger

	mu    sync.Mutex
	known map[string][]string // correlation key -> issue ids created or remembered
}

// New loads the credential and returns a connector; client may be nil.
func New(cfg Config, client *http.Client) (*Connector, error) {
	if err := validate(cfg); err != nil {
		return nil, fmt.Errorf("jira: %w", err)
	}
	token, err := ticket.SecretRef{Env: cfg.TokenEnv, File: cfg.TokenFile}.Load()
	if err != nil {
		return nil, fmt.Errorf("jira: api token: %w", err)
	}
	r := &http.Request{Header: http.Header{}}
	r.SetBasicAuth(cfg.Email, token)
	c := &Connector{base: strings.TrimRight(cfg.URL, "/"), auth: r.Header.Get("Authorization"),
		cfg: withDefaults(cfg), client: client, log: cfg.Logger, known: map[string][]string{}}
	c.priorities = map[string]string{}
	for k, v := range defaultPriorities {
		c.priorities[k] = v
	}
	for k, v := range cfg.Priorities {
		c.priorities[k] = v
	}
	if c.client == nil {
		c.client = &http.Client{Timeout: c.cfg.Timeout}
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	c.log = c.log.With("system", Name)
	return c, nil
}

func validate(cfg Config) error {
	switch {
	case cfg.URL == "":
		return fmt.Errorf("url is required")
	case cfg.Email == "":
		return fmt.Errorf("email is required (API tokens authenticate as an Atlassian account)")
	case cfg.Project == "":
		return fmt.Errorf("project is required (the project key; for JSM the service desk's project)")
	case cfg.ServiceDesk != nil && (cfg.ServiceDesk.ID == "" || cfg.ServiceDesk.RequestTypeID == ""):
		return fmt.Errorf("service_desk needs id and request_type_id")
	}
	for k := range cfg.Priorities {
		if _, ok := defaultPriorities[k]; !ok {
			return fmt.Errorf("priorities: %q is not critical, high, medium or low", k)
		}
	}
	return nil
}

func withDefaults(cfg Config) Config {
	if cfg.IssueType == "" {
		cfg.IssueType = "Task"
	}
	if cfg.CloseResolution == "" {
		cfg.CloseResolution = "Done"
	}
	if len(cfg.ReopenNames) == 0 {
		cfg.ReopenNames = []string{"Reopen", "Re-open", "Reopen issue", "To Do", "Open", "Backlog"}
	}
	if cfg.MaxSearchPages <= 0 {
		cfg.MaxSearchPages = 5
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	return cfg
}

// Name implements ticket.Connector.
func (c *Connector) Name() string { return Name }

// Remember records that issue id carries key, so Find reconciles it even if
// the search index has not caught up. The executor calls it with the
// external ids it stored, e.g. after a restart.
func (c *Connector) Remember(key, id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, have := range c.known[key] {
		if have == id {
			return
		}
	}
	c.known[key] = append(c.known[key], id)
}

func (c *Connector) knownIDs(key string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.known[key]...)
}

// issue is the subset of an issue the connector reads.
type issue struct {
	ID     string `json:"id"`
	Key    string `json:"key"`
	Fields struct {
		Status struct {
			Name           string `json:"name"`
			StatusCategory struct {
				Key string `json:"key"`
			} `json:"statusCategory"`
		} `json:"status"`
		Resolution *struct {
			Name string `json:"name"`
		} `json:"resolution"`
		Labels  []string `json:"labels"`
		Updated string   `json:"updated"`
	} `json:"fields"`
}

// readFields are the only fields the connector asks for.
var readFields = []string{"status", "resolution", "labels", "updated"}

// Get reads the issue's status (by id or key).
func (c *Connector) Get(ctx context.Context, id string) (ticket.Ticket, error) {
	var out issue
	u := c.issueURL(id) + "?fields=" + strings.Join(readFields, ",")
	if err := c.do(ctx, "get", http.MethodGet, u, nil, &out); err != nil {
		return ticket.Ticket{}, err
	}
	return c.toTicket(out), nil
}

// Create files the issue (or, with service_desk, a JSM request) carrying the
// correlation label, and remembers its id for Find.
func (c *Connector) Create(ctx context.Context, req ticket.Request) (ticket.Ticket, error) {
	if req.Key == "" {
		return ticket.Ticket{}, fmt.Errorf("jira create: empty correlation key")
	}
	var tk ticket.Ticket
	var err error
	if c.cfg.ServiceDesk != nil {
		tk, err = c.createRequest(ctx, req)
	} else {
		tk, err = c.createIssue(ctx, req)
	}
	if err != nil {
		return ticket.Ticket{}, err
	}
	c.Remember(req.Key, tk.ExternalID)
	c.log.DebugContext(ctx, "jira issue created", "key", req.Key, "issue", tk.ExternalID)
	return tk, nil
}

func (c *Connector) createIssue(ctx context.Context, req ticket.Request) (ticket.Ticket, error) {
	fields := map[string]any{
		"project":     map[string]string{"key": c.cfg.Project},
		"issuetype":   map[string]string{"name": c.cfg.IssueType},
		"summary":     summary(req.Title),
		"description": description(req),
		"labels":      labels(req),
	}
	if p := c.priorities[string(req.Priority)]; p != "" {
		fields["priority"] = map[string]string{"name": p}
	}
	if !req.Due.IsZero() {
		fields["duedate"] = req.Due.UTC().Format(time.DateOnly)
	}
	var out struct {
		ID  string `json:"id"`
		Key string `json:"key"`
	}
	if err := c.do(ctx, "create", http.MethodPost, c.base+"/rest/api/3/issue", map[string]any{"fields": fields}, &out); err != nil {
		return ticket.Ticket{}, err
	}
	if out.ID == "" {
		return ticket.Ticket{}, fmt.Errorf("jira create: answer has no issue id")
	}
	return ticket.Ticket{ExternalID: out.ID, URL: c.browseURL(out.Key), State: ticket.StateOpen}, nil
}

// createRequest files a JSM customer request. isAdfRequest lets the
// description be ADF like on the platform API; labels must be a field of the
// request type, or the correlation label (and so Find) would be lost.
func (c *Connector) createRequest(ctx context.Context, req ticket.Request) (ticket.Ticket, error) {
	values := map[string]any{"summary": summary(req.Title), "description": description(req), "labels": labels(req)}
	if p := c.priorities[string(req.Priority)]; p != "" && c.cfg.ServiceDesk.SetPriority {
		values["priority"] = map[string]string{"name": p}
	}
	if !req.Due.IsZero() {
		values["duedate"] = req.Due.UTC().Format(time.DateOnly)
	}
	body := map[string]any{"serviceDeskId": c.cfg.ServiceDesk.ID, "requestTypeId": c.cfg.ServiceDesk.RequestTypeID,
		"isAdfRequest": true, "requestFieldValues": values}
	var out struct {
		IssueID  string `json:"issueId"`
		IssueKey string `json:"issueKey"`
		Status   struct {
			Category string `json:"statusCategory"` // NEW, INDETERMINATE, DONE
		} `json:"currentStatus"`
	}
	if err := c.do(ctx, "create", http.MethodPost, c.base+"/rest/servicedeskapi/request", body, &out); err != nil {
		return ticket.Ticket{}, err
	}
	if out.IssueID == "" {
		return ticket.Ticket{}, fmt.Errorf("jira create: service desk answer has no issueId")
	}
	return ticket.Ticket{ExternalID: out.IssueID, URL: c.browseURL(out.IssueKey),
		State: stateOf(strings.ToLower(out.Status.Category))}, nil
}

// summary keeps the title on one line within Jira's 255-character limit.
func summary(title string) string {
	s := strings.Join(strings.Fields(title), " ")
	if r := []rune(s); len(r) > 255 {
		s = string(r[:254]) + "…"
	}
	return s
}

// Comment adds an ADF comment.
func (c *Connector) Comment(ctx context.Context, id, text string) error {
	return c.do(ctx, "comment", http.MethodPost, c.issueURL(id)+"/comment", map[string]any{"body": doc(text)}, nil)
}

func (c *Connector) toTicket(is issue) ticket.Ticket {
	res := ""
	if is.Fields.Resolution != nil {
		res = is.Fields.Resolution.Name
	}
	t := ticket.Ticket{ExternalID: is.ID, URL: c.browseURL(is.Key), Resolution: res,
		State: stateOf(is.Fields.Status.StatusCategory.Key)}
	if ts, err := time.Parse(jiraTime, is.Fields.Updated); err == nil {
		t.UpdatedAt = ts.UTC()
	}
	return t
}

// jiraTime is how REST v3 writes date-times, e.g. 2026-12-02T09:00:00.000+0000.
const jiraTime = "2006-01-02T15:04:05.000-0700"

// stateOf maps a status category key (new, indeterminate, done) to a state;
// Jira has no closed/canceled distinction beyond the resolution, so every
// done issue is resolved (reopenable through its workflow).
func stateOf(category string) ticket.State {
	switch category {
	case "done":
		return ticket.StateResolved
	case "indeterminate":
		return ticket.StateInProgress
	}
	return ticket.StateOpen
}

func (c *Connector) issueURL(id string) string {
	return c.base + "/rest/api/3/issue/" + url.PathEscape(id)
}

func (c *Connector) browseURL(key string) string {
	if key == "" {
		return ""
	}
	return c.base + "/browse/" + url.PathEscape(key)
}

func (c *Connector) do(ctx context.Context, op, method, u string, in, out any) error {
	var body []byte
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("jira %s: encode: %w", op, err)
		}
		body = b
	}
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("jira %s: %w", op, err)
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", c.auth)
	b, _, err := ticket.Do(ctx, c.client, Name, op, req)
	if err != nil || out == nil || len(b) == 0 {
		return err
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("jira %s: decode answer: %w", op, err)
	}
	return nil
}
