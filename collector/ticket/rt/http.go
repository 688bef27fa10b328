package rt

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/nhiradar/nhiradar/collector/ticket"
)

// maxBody bounds how much of an answer the connector reads.
const maxBody = 4 << 20

// do sends one REST2 call (path below /REST/2.0/) and decodes a 2xx answer
// into out. It does not use ticket.Do because RT's error text is in
// {"message": …}, which the shared parser does not know, and a 400 from RT
// says exactly what to fix (an unknown queue, a missing right).
func (c *Connector) do(ctx context.Context, op, method, path string, in, out any) error {
	req, err := c.newRequest(ctx, op, method, path, in)
	if err != nil {
		return err
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return ticket.Transport(Name, op, ctx, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return ticket.Transport(Name, op, ctx, fmt.Errorf("read response: %w", err))
	}
	if err := ticket.Classify(Name, resp, body); err != nil {
		return withRTMessage(ticket.WithOp(err, op), body)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("rt %s: decode answer: %w", op, err)
	}
	return nil
}

func (c *Connector) newRequest(ctx context.Context, op, method, path string, in any) (*http.Request, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("rt %s: encode: %w", op, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+"/REST/2.0/"+path, body)
	if err != nil {
		return nil, fmt.Errorf("rt %s: %w", op, err)
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", c.auth)
	return req, nil
}

// withRTMessage appends RT's own error text, bounded, to an *ticket.Error.
func withRTMessage(err error, body []byte) error {
	var e *ticket.Error
	if !errors.As(err, &e) {
		return err
	}
	var v struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &v) == nil {
		if m := strings.TrimSpace(v.Message); m != "" && !strings.Contains(e.Msg, m) {
			if len(m) > 300 {
				m = m[:300] + "…"
			}
			e.Msg += ": " + m
		}
	}
	return e
}
