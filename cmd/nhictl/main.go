// Command nhictl is the analyst's and operator's view of NHI Radar: it reads
// what the collector stored in ClickHouse.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/alecthomas/kong"

	"github.com/nhiradar/nhiradar/collector/store"
)

type cli struct {
	ClickHouse []string     `help:"ClickHouse native-protocol addresses." default:"127.0.0.1:19000" env:"NHI_CLICKHOUSE_ADDR" sep:"," name:"clickhouse"`
	Database   string       `help:"ClickHouse database." default:"nhi" env:"NHI_CLICKHOUSE_DATABASE"`
	User       string       `help:"ClickHouse user." default:"default" env:"NHI_CLICKHOUSE_USER"`
	Inventory  inventoryCmd `cmd:"" help:"List every identity ClickHouse holds."`
	Query      queryCmd     `cmd:"" help:"Run one of the analysts' ready-made queries (without a name: list them)."`
	Policy     policyCmd    `cmd:"" help:"Work with the governance policy file."`
	Analyze    analyzeCmd   `cmd:"" help:"Run every detector once and update the findings; print a summary by rule, severity and state."`
	Findings   findingsCmd  `cmd:"" help:"List findings."`
	Explain    explainCmd   `cmd:"" help:"Explain one finding: rule, evidence, policy line, controls, owner and history."`
	Tickets    ticketsCmd   `cmd:"" help:"List and work tickets; local tickets are closed, reopened and commented here."`
	Report     reportCmd    `cmd:"" help:"Write the HTML report: charts of identities, findings, controls, tickets and agents; sortable finding tables."`
}

func (c *cli) open(ctx context.Context) (*store.Store, error) {
	return store.Open(ctx, store.Config{Addr: c.ClickHouse, Database: c.Database, Username: c.User,
		Password: os.Getenv("NHI_CLICKHOUSE_PASSWORD")})
}

func main() {
	var c cli
	kctx := kong.Parse(&c, options()...)
	ctx, stop := context.WithTimeout(context.Background(), 5*time.Minute)
	defer stop()
	kctx.BindTo(ctx, (*context.Context)(nil))
	kctx.Bind(&c)
	if err := kctx.Run(); err != nil {
		if !errors.Is(err, errReported) {
			fmt.Fprintln(os.Stderr, "nhictl:", err)
		}
		os.Exit(1)
	}
}

// options are nhictl's parser settings, shared with the tests.
func options() []kong.Option {
	return []kong.Option{kong.Name("nhictl"), kong.Description("Query the NHI Radar inventory and work its findings and tickets."),
		kong.UsageOnError(), kong.Vars{"user": currentUser()}}
}

// currentUser names who works a local ticket by default.
func currentUser() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "nhictl"
}
