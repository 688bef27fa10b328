// Package webhook is the generic ticket connector: every operation is a
// signed JSON POST to one URL, answered by the receiver with the ticket's
// state. The body is signed with HMAC-SHA256 under a shared secret
// (X-NHI-Signature: sha256=<hex>) and carries an Idempotency-Key so a retried
// create or comment is applied once.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/nhiradar/nhiradar/collector/ticket"
)

// Name is the connector's system name.
const Name = "webhook"

// Headers set on every request.
const (
	SignatureHeader   = "X-NHI-Signature"
	IdempotencyHeader = "Idempotency-Key"
)

// Config of the webhook connector. The secret comes from an environment
// variable or a file, never from flags or inline configuration.
type Config struct {
	URL        string        `yaml:"url"`
	SecretEnv  string        `yaml:"secret_env"`
	SecretFile string        `yaml:"secret_file"`
	Timeout    time.Duration `yaml:"timeout"`
}

// Payload is the body of every webhook call.
type Payload struct {
	Action     string          `json:"action"` // find, create, comment, get, reopen, close
	Key        string          `json:"key,omitempty"`
	Request    *ticket.Request `json:"request,omitempty"`
	ExternalID string          `json:"external_id,omitempty"`
	Text       string          `json:"text,omitempty"`
	Resolution string          `json:"resolution,omitempty"`
	SentAt     time.Time       `json:"sent_at"`
}

// Connector posts signed payloads to the receiver.
type Connector struct {
	url    string
	secret []byte
	client *http.Client
	now    func() time.Time
}

// New loads the secret and returns a connector; client may be nil.
func New(cfg Config, client *http.Client) (*Connector, error) {
	if cfg.URL == "" {
		return nil, fmt.Errorf("webhook: url is required")
	}
	secret, err := ticket.SecretRef{Env: cfg.SecretEnv, File: cfg.SecretFile}.Load()
	if err != nil {
		return nil, fmt.Errorf("webhook: %w", err)
	}
	if client == nil {
		client = &http.Client{Timeout: cmp(cfg.Timeout, 30*time.Second)}
	}
	return &Connector{url: cfg.URL, secret: []byte(secret), client: client, now: time.Now}, nil
}

func cmp(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// Sign returns the X-NHI-Signature value for body under secret.
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks an X-NHI-Signature value in constant time.
func Verify(secret, body []byte, signature string) bool {
	return hmac.Equal([]byte(Sign(secret, body)), []byte(signature))
}

// Name implements ticket.Connector.
func (c *Connector) Name() string { return Name }

// Find asks the receiver for the ticket with key; a 404 means none.
func (c *Connector) Find(ctx context.Context, key string) (*ticket.Ticket, error) {
	t, err := c.call(ctx, Payload{Action: "find", Key: key}, "")
	if ticket.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// Create files req; the Idempotency-Key is the request key.
func (c *Connector) Create(ctx context.Context, req ticket.Request) (ticket.Ticket, error) {
	return c.call(ctx, Payload{Action: "create", Key: req.Key, Request: &req}, req.Key)
}

// Comment adds text to the ticket.
func (c *Connector) Comment(ctx context.Context, id, text string) error {
	_, err := c.call(ctx, Payload{Action: "comment", ExternalID: id, Text: text}, opKey("comment", id, text))
	return err
}

// Get returns the ticket's current state.
func (c *Connector) Get(ctx context.Context, id string) (ticket.Ticket, error) {
	return c.call(ctx, Payload{Action: "get", ExternalID: id}, "")
}

// Reopen asks the receiver to reopen; a 409 answer means it cannot.
func (c *Connector) Reopen(ctx context.Context, id, comment string) (ticket.Ticket, error) {
	t, err := c.call(ctx, Payload{Action: "reopen", ExternalID: id, Text: comment}, opKey("reopen", id, comment))
	var e *ticket.Error
	if errors.As(err, &e) && e.Status == http.StatusConflict {
		return ticket.Ticket{}, fmt.Errorf("%w: %w", ticket.ErrCannotReopen, err)
	}
	return t, err
}

// Close resolves the ticket.
func (c *Connector) Close(ctx context.Context, id, resolution, note string) error {
	_, err := c.call(ctx, Payload{Action: "close", ExternalID: id, Resolution: resolution, Text: note}, opKey("close", id, resolution+"\x00"+note))
	return err
}

func opKey(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

func (c *Connector) call(ctx context.Context, p Payload, idem string) (ticket.Ticket, error) {
	p.SentAt = c.now().UTC()
	body, err := json.Marshal(p)
	if err != nil {
		return ticket.Ticket{}, fmt.Errorf("webhook %s: encode: %w", p.Action, err)
	}
	req, err := http.NewRequest(http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return ticket.Ticket{}, fmt.Errorf("webhook %s: %w", p.Action, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(SignatureHeader, Sign(c.secret, body))
	if idem != "" {
		req.Header.Set(IdempotencyHeader, idem)
	}
	out, _, err := ticket.Do(ctx, c.client, Name, p.Action, req)
	if err != nil {
		return ticket.Ticket{}, err
	}
	var t ticket.Ticket
	if len(bytes.TrimSpace(out)) > 0 {
		if err := json.Unmarshal(out, &t); err != nil {
			return ticket.Ticket{}, fmt.Errorf("webhook %s: decode answer: %w", p.Action, err)
		}
	}
	return t, nil
}
