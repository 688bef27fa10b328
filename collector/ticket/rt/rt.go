// Package rt is the Request Tracker 5 ticket connector, on RT's REST2 API
// (/REST/2.0/). The finding key lives in a ticket custom field (NHI-Key by
// default): Find searches it with TicketSQL before every create, so a retried
// create never files a second ticket.
package rt

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/nhiradar/nhiradar/collector/ticket"
)

// Name is the connector's system name.
const Name = "rt"

// Defaults for an RT set up as packaging/dev/rt/initialdata does.
const (
	DefaultQueue    = "NHI Radar"
	DefaultKeyField = "NHI-Key"
)

// Config of the RT connector. Use either an RT auth token (token_env /
// token_file, sent as "Authorization: token …") or username + password (HTTP
// basic auth); secrets come from env or file only.
type Config struct {
	URL          string                  `yaml:"url"`       // RT's web root, e.g. https://rt.example.com
	Queue        string                  `yaml:"queue"`     // default queue, default "NHI Radar"
	Queues       map[string]string       `yaml:"queues"`    // request queue (owner / group) → RT queue
	KeyField     string                  `yaml:"key_field"` // ticket custom field holding the key, default NHI-Key
	TokenEnv     string                  `yaml:"token_env"`
	TokenFile    string                  `yaml:"token_file"`
	Username     string                  `yaml:"username"`
	PasswordEnv  string                  `yaml:"password_env"`
	PasswordFile string                  `yaml:"password_file"`
	Priorities   map[ticket.Priority]int `yaml:"priorities"` // overrides of the 0–99 defaults
	Statuses     map[string]ticket.State `yaml:"statuses"`   // extra statuses of custom lifecycles
	Timeout      time.Duration           `yaml:"timeout"`
	Logger       *slog.Logger            `yaml:"-"`
}

// Connector talks to one RT instance.
type Connector struct {
	base       string // web root, without trailing slash
	auth       string // Authorization header value
	queue      string
	queues     map[string]string
	keyField   string
	priorities map[ticket.Priority]int
	statuses   map[string]ticket.State
	client     *http.Client
	log        *slog.Logger
}

// New loads the credential and returns a connector; client may be nil.
func New(cfg Config, client *http.Client) (*Connector, error) {
	if cfg.URL == "" {
		return nil, fmt.Errorf("rt: url is required")
	}
	if _, err := url.Parse(cfg.URL); err != nil {
		return nil, fmt.Errorf("rt: url: %w", err)
	}
	auth, err := authHeader(cfg)
	if err != nil {
		return nil, fmt.Errorf("rt: %w", err)
	}
	c := &Connector{base: strings.TrimRight(cfg.URL, "/"), auth: auth,
		queue: or(cfg.Queue, DefaultQueue), queues: cfg.Queues, keyField: or(cfg.KeyField, DefaultKeyField),
		priorities: mergePriorities(cfg.Priorities), statuses: mergeStatuses(cfg.Statuses),
		client: client, log: cfg.Logger}
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("rt: %w", err)
	}
	if c.client == nil {
		c.client = &http.Client{Timeout: 30 * time.Second}
		if cfg.Timeout > 0 {
			c.client.Timeout = cfg.Timeout
		}
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	c.log = c.log.With("ticket_system", Name)
	return c, nil
}

// validate refuses names that would change the meaning of a TicketSQL query.
func (c *Connector) validate() error {
	if strings.ContainsAny(c.keyField, "{}'\\") {
		return fmt.Errorf("key_field %q must not contain braces, quotes or backslashes", c.keyField)
	}
	for _, q := range c.searchQueues() {
		if strings.ContainsAny(q, "'\\") {
			return fmt.Errorf("queue %q must not contain quotes or backslashes", q)
		}
	}
	return nil
}

func authHeader(cfg Config) (string, error) {
	token := ticket.SecretRef{Env: cfg.TokenEnv, File: cfg.TokenFile}
	pass := ticket.SecretRef{Env: cfg.PasswordEnv, File: cfg.PasswordFile}
	switch {
	case token.IsSet() && pass.IsSet():
		return "", fmt.Errorf("set either a token or a username and password, not both")
	case token.IsSet():
		t, err := token.Load()
		return "token " + t, err
	case pass.IsSet() && cfg.Username != "":
		p, err := pass.Load()
		r := &http.Request{Header: http.Header{}}
		r.SetBasicAuth(cfg.Username, p)
		return r.Header.Get("Authorization"), err
	}
	return "", fmt.Errorf("no credential: set token_env/token_file, or username with password_env/password_file")
}

// Name implements ticket.Connector.
func (c *Connector) Name() string { return Name }

// rtTicket is the subset of a REST2 ticket the connector reads. REST2 gives
// ids as numbers on a ticket and as strings in search results and creates.
type rtTicket struct {
	ID          json.Number `json:"id"`
	Status      string      `json:"Status"`
	LastUpdated string      `json:"LastUpdated"`
}

func (c *Connector) toTicket(r rtTicket) ticket.Ticket {
	t := ticket.Ticket{ExternalID: r.ID.String(), URL: c.displayURL(r.ID.String()), State: c.state(r.Status)}
	if t.State.Done() {
		t.Resolution = r.Status // RT has no resolution field; the final status is the closest thing
	}
	if ts, err := time.Parse(time.RFC3339, r.LastUpdated); err == nil {
		t.UpdatedAt = ts
	}
	return t
}

func (c *Connector) displayURL(id string) string {
	return c.base + "/Ticket/Display.html?id=" + url.QueryEscape(id)
}

func or(v, def string) string {
	if v != "" {
		return v
	}
	return def
}
