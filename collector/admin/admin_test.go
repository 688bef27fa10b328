package admin

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	b, _ := io.ReadAll(rec.Body)
	return rec.Code, string(b)
}

func TestEndpoints(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "nhi_test_total", Help: "t"})
	reg.MustRegister(c)
	c.Add(3)
	kafkaDown := errors.New("dial tcp: connection refused")
	h := Handler(reg,
		Check{"clickhouse", func(context.Context) error { return nil }},
		Check{"kafka", func(context.Context) error { return kafkaDown }})
	if code, _ := get(t, h, "/healthz"); code != 200 {
		t.Fatalf("/healthz = %d", code)
	}
	code, body := get(t, h, "/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "kafka: dial tcp") || !strings.Contains(body, "clickhouse: ok") {
		t.Fatalf("/readyz with Kafka down = %d %q", code, body)
	}
	if code, body := get(t, Handler(reg), "/readyz"); code != 200 {
		t.Fatalf("/readyz with nothing failing = %d %q", code, body)
	}
	if _, body := get(t, h, "/metrics"); !strings.Contains(body, "nhi_test_total 3") {
		t.Fatalf("/metrics lacks the counter:\n%s", body)
	}
}
