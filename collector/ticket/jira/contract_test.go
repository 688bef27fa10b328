package jira

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nhiradar/nhiradar/collector/ticket"
	"github.com/nhiradar/nhiradar/collector/ticket/jira/jiratest"
	"github.com/nhiradar/nhiradar/collector/ticket/tickettest"
)

const email = "nhi-radar@example.com"

func tokenFile(t *testing.T, v string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(f, []byte(v+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

func newConnector(t *testing.T, cfg Config, token string, client *http.Client) *Connector {
	t.Helper()
	if cfg.Email == "" {
		cfg.Email = email
	}
	if cfg.Project == "" {
		cfg.Project = "NHI"
	}
	cfg.TokenFile = tokenFile(t, token)
	c, err := New(cfg, client)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func rateLimit() tickettest.Fault {
	return tickettest.Fault{Status: http.StatusTooManyRequests, Body: jiratest.RateLimitBody,
		Header: jiratest.RateLimitHeaders(time.Now(), time.Second)}
}

// The index delay is on throughout: the suite's find-after-create passes
// only through reconcileIssues.
func TestConformance(t *testing.T) {
	tickettest.Run(t, tickettest.Harness{
		Handler: func(t *testing.T, cred string) http.Handler {
			return jiratest.New(jiratest.Options{Email: email, Token: cred, IndexDelay: time.Hour})
		},
		New: func(t *testing.T, url, cred string, client *http.Client) ticket.Connector {
			return newConnector(t, Config{URL: url}, cred, client)
		},
		RateLimit: rateLimit,
		Unavail:   tickettest.Fault{Status: 503, Body: "<html>Service Unavailable</html>", Header: map[string]string{"Retry-After": "0"}},
	})
}

func TestConformanceServiceDesk(t *testing.T) {
	tickettest.Run(t, tickettest.Harness{
		Handler: func(t *testing.T, cred string) http.Handler {
			return jiratest.New(jiratest.Options{Email: email, Token: cred, IndexDelay: time.Hour,
				ServiceDeskID: "4", RequestTypeID: "27"})
		},
		New: func(t *testing.T, url, cred string, client *http.Client) ticket.Connector {
			t.Setenv("NHI_TEST_JIRA_TOKEN", cred)
			c, err := New(Config{URL: url, Email: email, Project: "NHI", TokenEnv: "NHI_TEST_JIRA_TOKEN",
				ServiceDesk: &ServiceDesk{ID: "4", RequestTypeID: "27"}}, client)
			if err != nil {
				t.Fatal(err)
			}
			return c
		},
		RateLimit: rateLimit,
		Unavail:   tickettest.Fault{Status: 500, Body: jiratest.ErrorBody([]string{"Internal server error"}, nil)},
	})
}
