// Package systems opens the ticket connector the policy names
// (ticketing.system) from the connection settings file: one block per
// system, as in each connector's sample.yaml. Credentials stay in the
// environment or in files the settings point at, never in the file itself.
package systems

import (
	"fmt"
	"net/http"
	"time"

	"github.com/nhiradar/nhiradar/collector/store"
	"github.com/nhiradar/nhiradar/collector/store/ticketdb"
	"github.com/nhiradar/nhiradar/collector/ticket"
	"github.com/nhiradar/nhiradar/collector/ticket/jira"
	"github.com/nhiradar/nhiradar/collector/ticket/local"
	"github.com/nhiradar/nhiradar/collector/ticket/rt"
	"github.com/nhiradar/nhiradar/collector/ticket/servicenow"
	"github.com/nhiradar/nhiradar/collector/ticket/webhook"
	"github.com/nhiradar/nhiradar/internal/yamlconfig"
)

// Settings is the connection settings file.
type Settings struct {
	Ticketing struct {
		System     string             `yaml:"system"`
		RT         *rt.Config         `yaml:"rt"`
		ServiceNow *servicenow.Config `yaml:"servicenow"`
		Jira       *jira.Config       `yaml:"jira"`
		Webhook    *webhook.Config    `yaml:"webhook"`
	} `yaml:"ticketing"`
}

// Load reads a settings file strictly, as every NHI Radar configuration
// is read: an unknown key is an error with file:line and the key.
func Load(path string) (Settings, error) {
	var s Settings
	if _, err := yamlconfig.ReadFile(path, &s); err != nil {
		return Settings{}, fmt.Errorf("ticketing settings: %w", err)
	}
	return s, nil
}

// Open returns the connector for system: local needs nothing but the
// store; every other system its block in the settings.
func Open(system string, s Settings, st *store.Store, now func() time.Time) (ticket.Connector, error) {
	client := &http.Client{Timeout: 30 * time.Second}
	t := s.Ticketing
	missing := func() error {
		return fmt.Errorf("ticketing system %s: the connection settings need a ticketing.%s block (see collector/ticket/%s/sample.yaml)", system, system, system)
	}
	switch system {
	case "", local.Name:
		return &local.Connector{Tickets: ticketdb.New(st), Now: now}, nil
	case "rt":
		if t.RT == nil {
			return nil, missing()
		}
		return rt.New(*t.RT, client)
	case "servicenow":
		if t.ServiceNow == nil {
			return nil, missing()
		}
		return servicenow.New(*t.ServiceNow, client)
	case "jira":
		if t.Jira == nil {
			return nil, missing()
		}
		return jira.New(*t.Jira, client)
	case "webhook":
		if t.Webhook == nil {
			return nil, missing()
		}
		return webhook.New(*t.Webhook, client)
	}
	return nil, fmt.Errorf("ticketing system %q: not one of local, rt, servicenow, jira, webhook", system)
}
