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

	"github.com/nhiradar/nhiradar/internal/buildinfo"
)

type cli struct {
	Config      kong.ConfigFlag  `help:"JSON file of connection settings and flag values (keys are flag names; default: /etc/nhiradar/nhictl.json, then ~/.config/nhiradar/nhictl.json)." placeholder:"FILE"`
	VersionFlag kong.VersionFlag `name:"version" help:"Print the version and commit, then exit."`
	ClickHouse  []string         `help:"ClickHouse native-protocol addresses." default:"127.0.0.1:19000" env:"NHI_CLICKHOUSE_ADDR" sep:"," name:"clickhouse"`
	Database    string           `help:"ClickHouse database." default:"nhi" env:"NHI_CLICKHOUSE_DATABASE"`
	User        string           `help:"ClickHouse user." default:"default" env:"NHI_CLICKHOUSE_USER"`
	Inventory   inventoryCmd     `cmd:"" help:"List every identity ClickHouse holds."`
	Query       queryCmd         `cmd:"" help:"Run one of the analysts' ready-made queries (without a name: list them)."`
	Policy      policyCmd        `cmd:"" help:"Work with the governance policy file."`
	Analyze     analyzeCmd       `cmd:"" help:"Run every detector once and update the findings; print a summary by rule, severity and state."`
	Findings    findingsCmd      `cmd:"" help:"List findings."`
	Explain     explainCmd       `cmd:"" help:"Explain one finding: rule, evidence, policy line, controls, owner and history."`
	Tickets     ticketsCmd       `cmd:"" help:"List and work tickets; local tickets are closed, reopened and commented here."`
	Report      reportCmd        `cmd:"" help:"Write the HTML report: charts of identities, findings, controls, tickets and agents; sortable finding tables."`
	Agents      agentsCmd        `cmd:"" help:"Fleet health from the agents' heartbeats: last seen, version, spool depth, drops."`
}

// Exit codes scripts can rely on.
const (
	exitOK       = 0
	exitError    = 1
	exitUsage    = 2
	exitFindings = 3 // findings at or above --fail-on
)

func main() { os.Exit(run(os.Args[1:])) }

func run(args []string) int {
	var c cli
	parser, err := kong.New(&c, options()...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "nhictl:", err)
		return exitError
	}
	kctx, err := parser.Parse(args)
	if err != nil {
		fmt.Fprintln(os.Stderr, "nhictl:", err)
		fmt.Fprintln(os.Stderr, "run nhictl --help for the commands")
		return exitUsage
	}
	ctx, stop := context.WithTimeout(context.Background(), 5*time.Minute)
	defer stop()
	kctx.BindTo(ctx, (*context.Context)(nil))
	kctx.Bind(&c)
	err = kctx.Run()
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errFailOn):
		fmt.Fprintln(os.Stderr, "nhictl:", err)
		return exitFindings
	case !errors.Is(err, errReported):
		fmt.Fprintln(os.Stderr, "nhictl:", err)
	}
	return exitError
}

// options are nhictl's parser settings, shared with the tests.
func options() []kong.Option {
	return []kong.Option{kong.Name("nhictl"), kong.Description("Query the NHI Radar inventory and work its findings and tickets."),
		kong.Vars{"user": currentUser(), "version": buildinfo.String("nhictl")},
		// Flags and the environment come first; a settings file fills in
		// what they leave unset.
		kong.Configuration(kong.JSON, "/etc/nhiradar/nhictl.json", "~/.config/nhiradar/nhictl.json")}
}

// currentUser names who works a local ticket by default.
func currentUser() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "nhictl"
}
