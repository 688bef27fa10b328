// Package servicenow is the ServiceNow ticket connector, on the Table API
// (/api/now/table/{table}, incident by default). The finding key is the
// record's correlation_id: Find queries it before every create, so a retried
// create never duplicates an incident.
package servicenow

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/nhiradar/nhiradar/collector/ticket"
)

// Name is the connector's system name.
const Name = "servicenow"

// Config of the ServiceNow connector. Use either username + password
// (basic auth) or an OAuth bearer token; secrets come from env or file only.
type Config struct {
	URL          string        `yaml:"url"`   // https://example.service-now.com
	Table        string        `yaml:"table"` // default incident
	Username     string        `yaml:"username"`
	PasswordEnv  string        `yaml:"password_env"`
	PasswordFile string        `yaml:"password_file"`
	TokenEnv     string        `yaml:"token_env"`
	TokenFile    string        `yaml:"token_file"`
	CloseCode    string        `yaml:"close_code"` // used when Close gets no resolution
	Timeout      time.Duration `yaml:"timeout"`
}

// Connector talks to one ServiceNow instance.
type Connector struct {
	base      string
	table     string
	auth      string // Authorization header value
	closeCode string
	client    *http.Client
}

// New loads the credential and returns a connector; client may be nil.
func New(cfg Config, client *http.Client) (*Connector, error) {
	if cfg.URL == "" {
		return nil, fmt.Errorf("servicenow: url is required")
	}
	auth, err := authHeader(cfg)
	if err != nil {
		return nil, fmt.Errorf("servicenow: %w", err)
	}
	c := &Connector{base: strings.TrimRight(cfg.URL, "/"), table: cfg.Table, auth: auth,
		closeCode: cfg.CloseCode, client: client}
	if c.table == "" {
		c.table = "incident"
	}
	if c.closeCode == "" {
		c.closeCode = "Solved (Permanently)"
	}
	if c.client == nil {
		c.client = &http.Client{Timeout: 30 * time.Second}
		if cfg.Timeout > 0 {
			c.client.Timeout = cfg.Timeout
		}
	}
	return c, nil
}

func authHeader(cfg Config) (string, error) {
	token := ticket.SecretRef{Env: cfg.TokenEnv, File: cfg.TokenFile}
	pass := ticket.SecretRef{Env: cfg.PasswordEnv, File: cfg.PasswordFile}
	switch {
	case token.IsSet() && pass.IsSet():
		return "", fmt.Errorf("set either a token or a username and password, not both")
	case token.IsSet():
		t, err := token.Load()
		return "Bearer " + t, err
	case pass.IsSet() && cfg.Username != "":
		p, err := pass.Load()
		r := &http.Request{Header: http.Header{}}
		r.SetBasicAuth(cfg.Username, p)
		return r.Header.Get("Authorization"), err
	}
	return "", fmt.Errorf("no credential: set username with password_env/password_file, or token_env/token_file")
}

// Name implements ticket.Connector.
func (c *Connector) Name() string { return Name }

// record is the subset of a task record the connector reads.
type record struct {
	SysID       string `json:"sys_id"`
	Number      string `json:"number"`
	State       string `json:"state"`
	CloseCode   string `json:"close_code"`
	UpdatedOn   string `json:"sys_updated_on"`
	Correlation string `json:"correlation_id"`
}

const fields = "sys_id,number,state,close_code,sys_updated_on,correlation_id"

// Find returns the newest record whose correlation_id is key, or nil.
func (c *Connector) Find(ctx context.Context, key string) (*ticket.Ticket, error) {
	if strings.ContainsAny(key, "^=") || key == "" {
		return nil, fmt.Errorf("servicenow find: key %q must be non-empty and free of ^ and =", key)
	}
	q := url.Values{
		"sysparm_query":  {"correlation_id=" + key + "^ORDERBYDESCsys_created_on"},
		"sysparm_limit":  {"1"},
		"sysparm_fields": {fields},
	}
	var out struct {
		Result []record `json:"result"`
	}
	if err := c.do(ctx, "find", http.MethodGet, c.tableURL("")+"?"+q.Encode(), nil, &out); err != nil {
		return nil, err
	}
	if len(out.Result) == 0 {
		return nil, nil
	}
	t := c.toTicket(out.Result[0])
	return &t, nil
}

// Create inserts a record carrying the key as correlation_id.
func (c *Connector) Create(ctx context.Context, req ticket.Request) (ticket.Ticket, error) {
	urgency, impact := levels(req.Priority)
	body := map[string]string{
		"correlation_id":      req.Key,
		"correlation_display": "NHI Radar",
		"short_description":   req.Title,
		"description":         description(req),
		"assignment_group":    req.Queue,
		"urgency":             urgency,
		"impact":              impact,
	}
	if !req.Due.IsZero() {
		body["due_date"] = req.Due.UTC().Format(snTime)
	}
	var out struct {
		Result record `json:"result"`
	}
	if err := c.do(ctx, "create", http.MethodPost, c.tableURL("")+"?sysparm_fields="+fields, body, &out); err != nil {
		return ticket.Ticket{}, err
	}
	return c.toTicket(out.Result), nil
}

// Comment adds a work note.
func (c *Connector) Comment(ctx context.Context, id, text string) error {
	return c.patch(ctx, "comment", id, map[string]string{"work_notes": text}, nil)
}

// Get reads the record's state.
func (c *Connector) Get(ctx context.Context, id string) (ticket.Ticket, error) {
	var out struct {
		Result record `json:"result"`
	}
	if err := c.do(ctx, "get", http.MethodGet, c.tableURL(id)+"?sysparm_fields="+fields, nil, &out); err != nil {
		return ticket.Ticket{}, err
	}
	return c.toTicket(out.Result), nil
}

// Close resolves the record (state 6) with a close code and notes.
func (c *Connector) Close(ctx context.Context, id, resolution, note string) error {
	if resolution == "" {
		resolution = c.closeCode
	}
	if note == "" {
		note = "Resolved by NHI Radar"
	}
	return c.patch(ctx, "close", id, map[string]string{"state": "6", "close_code": resolution, "close_notes": note}, nil)
}

// Reopen moves a Resolved record back to In Progress with a work note. A
// Closed or Canceled record cannot be reopened: ErrCannotReopen.
func (c *Connector) Reopen(ctx context.Context, id, comment string) (ticket.Ticket, error) {
	cur, err := c.Get(ctx, id)
	if err != nil {
		return ticket.Ticket{}, ticket.WithOp(err, "reopen")
	}
	switch cur.State {
	case ticket.StateClosed, ticket.StateCanceled:
		return cur, fmt.Errorf("servicenow reopen %s: state %s: %w", id, cur.State, ticket.ErrCannotReopen)
	case ticket.StateResolved:
		var out struct {
			Result record `json:"result"`
		}
		if err := c.patch(ctx, "reopen", id, map[string]string{"state": "2", "work_notes": comment}, &out); err != nil {
			return ticket.Ticket{}, err
		}
		return c.toTicket(out.Result), nil
	}
	if comment != "" {
		if err := c.Comment(ctx, id, comment); err != nil {
			return ticket.Ticket{}, ticket.WithOp(err, "reopen")
		}
	}
	return cur, nil
}

func (c *Connector) patch(ctx context.Context, op, id string, body map[string]string, out any) error {
	return c.do(ctx, op, http.MethodPatch, c.tableURL(id)+"?sysparm_fields="+fields, body, out)
}

func (c *Connector) tableURL(id string) string {
	u := c.base + "/api/now/table/" + url.PathEscape(c.table)
	if id != "" {
		u += "/" + url.PathEscape(id)
	}
	return u
}

func (c *Connector) do(ctx context.Context, op, method, u string, in, out any) error {
	var body *bytes.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("servicenow %s: encode: %w", op, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, u, nil)
	if body != nil {
		req, err = http.NewRequest(method, u, body)
	}
	if err != nil {
		return fmt.Errorf("servicenow %s: %w", op, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", c.auth)
	b, _, err := ticket.Do(ctx, c.client, Name, op, req)
	if err != nil || out == nil {
		return err
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("servicenow %s: decode answer: %w", op, err)
	}
	return nil
}
