package ticket

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func resp(status int, h map[string]string) *http.Response {
	r := &http.Response{StatusCode: status, Header: http.Header{}}
	for k, v := range h {
		r.Header.Set(k, v)
	}
	return r
}

func TestClassify(t *testing.T) {
	cases := []struct {
		name      string
		status    int
		header    map[string]string
		body      string
		retryable bool
		wait      time.Duration
		msg       string
	}{
		{"ok", 201, nil, "", false, 0, ""},
		{"401", 401, nil, `{"error":{"message":"User Not Authenticated","detail":"Required to provide Auth information"},"status":"failure"}`, false, 0, "check the servicenow credentials"},
		{"403", 403, nil, `{"errorMessages":["You do not have permission"],"errors":{}}`, false, 0, "roles/permissions"},
		{"404", 404, nil, `{"error":{"message":"No Record found","detail":"Record doesn't exist"},"status":"failure"}`, false, 0, "not found: No Record found; Record doesn't exist"},
		{"409", 409, nil, "", false, 0, "conflict"},
		{"400 jira errors", 400, nil, `{"errorMessages":[],"errors":{"summary":"Field required","labels":"bad"}}`, false, 0, "labels: bad; summary: Field required"},
		{"404 jsm", 404, nil, `{"errorMessage":"The request type does not exist","i18nErrorMessage":{"i18nKey":"x"}}`, false, 0, "not found: The request type does not exist"},
		{"429 seconds", 429, map[string]string{"Retry-After": "7"}, "", true, 7 * time.Second, "rate limited"},
		{"503", 503, nil, "<html>", true, 0, "server error"},
		{"500 retry-after", 500, map[string]string{"Retry-After": "2"}, "", true, 2 * time.Second, "server error"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Classify("servicenow", resp(c.status, c.header), []byte(c.body))
			if c.status < 300 {
				if err != nil {
					t.Fatalf("2xx gave %v", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("not *Error: %v", err)
			}
			if e.Retryable != c.retryable || e.RetryAfter != c.wait || e.Status != c.status {
				t.Errorf("got retryable=%v wait=%v status=%d, want %v %v %d", e.Retryable, e.RetryAfter, e.Status, c.retryable, c.wait, c.status)
			}
			if !strings.Contains(err.Error(), c.msg) || !strings.HasPrefix(err.Error(), "servicenow") {
				t.Errorf("message %q lacks %q or system name", err, c.msg)
			}
		})
	}
}

func TestRetryAfterForms(t *testing.T) {
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	cases := map[string]struct {
		h    map[string]string
		want time.Duration
	}{
		"delta":             {map[string]string{"Retry-After": "3"}, 3 * time.Second},
		"http-date":         {map[string]string{"Retry-After": now.Add(10 * time.Second).Format(http.TimeFormat)}, 10 * time.Second},
		"servicenow epoch":  {map[string]string{"X-RateLimit-Reset": "1796202020"}, time.Unix(1796202020, 0).Sub(now)},
		"jira iso8601":      {map[string]string{"X-RateLimit-Reset": "2026-12-02T09:01Z"}, time.Minute},
		"jira rfc3339":      {map[string]string{"X-RateLimit-Reset": "2026-12-02T09:00:05Z"}, 5 * time.Second},
		"past is zero":      {map[string]string{"Retry-After": now.Add(-time.Hour).Format(http.TimeFormat)}, 0},
		"garbage":           {map[string]string{"Retry-After": "soon"}, 0},
		"retry-after first": {map[string]string{"Retry-After": "1", "X-RateLimit-Reset": "2026-12-02T09:01Z"}, time.Second},
	}
	for name, c := range cases {
		if got := retryAfter(resp(429, c.h).Header, now); got != c.want {
			t.Errorf("%s: got %v want %v", name, got, c.want)
		}
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestTransport(t *testing.T) {
	if err := Transport("jira", "get", context.Background(), timeoutErr{}); !IsRetryable(err) || !strings.Contains(err.Error(), "timed out") {
		t.Errorf("timeout not retryable: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Transport("jira", "get", ctx, timeoutErr{}); IsRetryable(err) || !errors.Is(err, context.Canceled) {
		t.Errorf("caller cancellation must not be retryable: %v", err)
	}
	if IsRetryable(errors.New("plain")) {
		t.Error("plain errors are not retryable")
	}
}
