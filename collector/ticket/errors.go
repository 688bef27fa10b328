package ticket

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Error is a failed call to a remote ticketing system. It never holds a
// request body or a credential: Msg comes from the remote's error message and
// from fixed advice text.
type Error struct {
	System     string        // connector name, e.g. "servicenow"
	Op         string        // connector operation, e.g. "create"
	Status     int           // HTTP status, 0 for transport failures
	Retryable  bool          // whether trying again may succeed
	RetryAfter time.Duration // wait the remote asked for, 0 if none
	Msg        string
	Err        error // underlying transport error, if any
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.System)
	if e.Op != "" {
		b.WriteString(" " + e.Op)
	}
	if e.Status != 0 {
		fmt.Fprintf(&b, ": HTTP %d", e.Status)
	}
	if e.Msg != "" {
		b.WriteString(": " + e.Msg)
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// IsRetryable reports whether err (or an *Error it wraps) may succeed if
// tried again. Errors that are not *Error are not retryable.
func IsRetryable(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Retryable
}

// IsNotFound reports whether err is a remote 404.
func IsNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == http.StatusNotFound
}

// WithOp sets the operation on an *Error in err and returns err.
func WithOp(err error, op string) error {
	var e *Error
	if errors.As(err, &e) && e.Op == "" {
		e.Op = op
	}
	return err
}

// Classify turns an HTTP answer into nil (2xx) or an *Error saying whether to
// retry. body is the (possibly truncated) response body, parsed for the
// remote's error message; it is never the request body.
func Classify(system string, resp *http.Response, body []byte) error {
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	e := &Error{System: system, Status: resp.StatusCode}
	remote := remoteMessage(body)
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		e.Msg = "authentication failed: check the " + system + " credentials (user and password, token or shared secret)"
	case resp.StatusCode == http.StatusForbidden:
		e.Msg = "permission denied: check the " + system + " account's roles/permissions for this table, project or queue"
	case resp.StatusCode == http.StatusNotFound:
		e.Msg = "not found"
	case resp.StatusCode == http.StatusConflict:
		e.Msg = "conflict"
	case resp.StatusCode == http.StatusTooManyRequests:
		e.Retryable = true
		e.RetryAfter = retryAfter(resp.Header, time.Now())
		e.Msg = "rate limited"
	case resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode >= 500:
		e.Retryable = true
		e.RetryAfter = retryAfter(resp.Header, time.Now())
		e.Msg = "server error"
	default:
		e.Msg = "request rejected"
	}
	if remote != "" {
		e.Msg += ": " + remote
	}
	return e
}

// Transport wraps a failure to get any HTTP answer. Timeouts and network
// errors are retryable; the caller's own cancellation is not.
func Transport(system, op string, ctx context.Context, err error) error {
	e := &Error{System: system, Op: op, Err: err, Msg: "request failed"}
	if ctx.Err() != nil {
		e.Err = ctx.Err()
		return e
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) {
		e.Retryable = true
		if ne != nil && ne.Timeout() {
			e.Msg = "request timed out"
		}
	}
	return e
}

// remoteMessage extracts the remote's own error text: ServiceNow's
// {"error":{"message","detail"}}, Jira's errorMessages / errors, or Jira
// Service Management's errorMessage.
func remoteMessage(body []byte) string {
	var v struct {
		Error *struct {
			Message string `json:"message"`
			Detail  string `json:"detail"`
		} `json:"error"`
		ErrorMessages []string          `json:"errorMessages"`
		ErrorMessage  string            `json:"errorMessage"`
		Errors        map[string]string `json:"errors"`
	}
	if len(body) == 0 || json.Unmarshal(body, &v) != nil {
		return ""
	}
	var parts []string
	if v.Error != nil {
		parts = appendNonEmpty(parts, v.Error.Message, v.Error.Detail)
	}
	parts = appendNonEmpty(parts, v.ErrorMessages...)
	parts = appendNonEmpty(parts, v.ErrorMessage)
	for _, k := range sortedKeys(v.Errors) {
		parts = append(parts, k+": "+v.Errors[k])
	}
	return truncate(strings.Join(parts, "; "), 500)
}

// retryAfter reads Retry-After (seconds or HTTP-date) and X-RateLimit-Reset
// (epoch seconds, ServiceNow; ISO 8601, Jira).
func retryAfter(h http.Header, now time.Time) time.Duration {
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if d, ok := parseWhen(v, now); ok {
			return d
		}
	}
	if v := strings.TrimSpace(h.Get("X-RateLimit-Reset")); v != "" {
		if d, ok := parseWhen(v, now); ok {
			return d
		}
	}
	return 0
}

// parseWhen accepts delta seconds, epoch seconds, an HTTP-date or RFC 3339.
func parseWhen(v string, now time.Time) (time.Duration, bool) {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
		if n > 1_000_000_000 { // epoch seconds
			return clampPos(time.Unix(n, 0).Sub(now)), true
		}
		return time.Duration(n) * time.Second, true
	}
	for _, layout := range []string{http.TimeFormat, time.RFC1123, time.RFC3339, "2006-01-02T15:04Z07:00", "2006-01-02T15:04:05.000Z0700"} {
		if t, err := time.Parse(layout, v); err == nil {
			return clampPos(t.Sub(now)), true
		}
	}
	return 0, false
}

func clampPos(d time.Duration) time.Duration { return max(d, 0) }

func appendNonEmpty(dst []string, s ...string) []string {
	for _, v := range s {
		if v = strings.TrimSpace(v); v != "" {
			dst = append(dst, v)
		}
	}
	return dst
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func asError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}
