// Command nhictl is the analyst's and operator's view of NHI Radar: it reads
// what the collector stored in ClickHouse.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
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
}

func (c *cli) open(ctx context.Context) (*store.Store, error) {
	return store.Open(ctx, store.Config{Addr: c.ClickHouse, Database: c.Database, Username: c.User,
		Password: os.Getenv("NHI_CLICKHOUSE_PASSWORD")})
}

type inventoryCmd struct {
	Format string `help:"Output format: table or jsonl." enum:"table,jsonl" default:"table"`
}

func (c *inventoryCmd) Run(ctx context.Context, root *cli) error {
	st, err := root.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	rows, err := st.Inventory(ctx)
	if err != nil {
		return err
	}
	if c.Format == "jsonl" {
		return writeJSONL(os.Stdout, rows)
	}
	return writeTable(os.Stdout, rows)
}

func writeJSONL(w io.Writer, rows []store.InventoryRow) error {
	enc := json.NewEncoder(w)
	for _, r := range rows {
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	return nil
}

func writeTable(w io.Writer, rows []store.InventoryRow) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tPRINCIPAL\tHOSTS\tLOCATIONS\tFIRST SEEN\tLAST SEEN\tPRESENT\tLAST USED")
	for _, r := range rows {
		present, used := "no", "never"
		if r.StillPresent {
			present = "yes"
		}
		if r.LastUsed.Unix() > 0 {
			used = r.LastUsed.UTC().Format(time.RFC3339) + " (" + r.LastEvidence + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Kind, r.Principal, strings.Join(r.Hosts, ","),
			strings.Join(r.Locations, ","), r.FirstSeen.UTC().Format(time.RFC3339), r.LastSeen.UTC().Format(time.RFC3339), present, used)
	}
	fmt.Fprintf(tw, "\n%d identities\n", len(rows))
	return tw.Flush()
}

func main() {
	var c cli
	kctx := kong.Parse(&c, kong.Name("nhictl"), kong.Description("Query the NHI Radar inventory."), kong.UsageOnError())
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
