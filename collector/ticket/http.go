package ticket

import (
	"context"
	"fmt"
	"io"
	"net/http"
)

// maxBody bounds how much of a response a connector reads.
const maxBody = 4 << 20

// Do sends req and returns the response body of a 2xx answer, or an *Error
// from Classify / Transport naming system and op.
func Do(ctx context.Context, client *http.Client, system, op string, req *http.Request) ([]byte, http.Header, error) {
	resp, err := client.Do(req.WithContext(ctx))
	if err != nil {
		return nil, nil, Transport(system, op, ctx, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, nil, Transport(system, op, ctx, fmt.Errorf("read response: %w", err))
	}
	if err := Classify(system, resp, body); err != nil {
		return nil, resp.Header, WithOp(err, op)
	}
	return body, resp.Header, nil
}
