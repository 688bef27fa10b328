package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/nhiradar/nhiradar/analytics/detect"
	"github.com/nhiradar/nhiradar/analytics/policy"
	"github.com/nhiradar/nhiradar/collector/store"
	"github.com/nhiradar/nhiradar/collector/store/inventory"
)

type inventoryCmd struct {
	Format string `help:"Output format: table or jsonl." enum:"table,jsonl" default:"table"`
	Policy string `help:"Policy file deciding owners and usage windows (default: the built-in policy)." type:"existingfile" placeholder:"FILE"`
	Now    string `help:"Clock for the usage window, RFC 3339 (default now)." placeholder:"TIME"`
}

// inventoryRow is one identity with what governance adds: owner, age by
// the host's evidence and which usage source (if any) can see its use.
// JSON keys are snake_case, as on the wire.
type inventoryRow struct {
	NHIID        string    `json:"nhi_id"`
	Kind         string    `json:"kind"`
	Principal    string    `json:"principal"`
	Hosts        []string  `json:"hosts"`
	Locations    []string  `json:"locations"`
	FirstSeen    time.Time `json:"first_seen"`
	LastSeen     time.Time `json:"last_seen"`
	ExpiresAt    time.Time `json:"expires_at,omitzero"`
	StillPresent bool      `json:"still_present"`
	PresentHosts []string  `json:"present_hosts"`
	LastUsed     time.Time `json:"last_used,omitzero"`
	LastEvidence string    `json:"last_evidence,omitempty"`
	LastSource   string    `json:"last_source,omitempty"`
	Owner        string    `json:"owner"`
	OwnerStatus  string    `json:"owner_status"`
	OwnerReason  string    `json:"owner_reason"`
	AgeSince     time.Time `json:"age_since,omitzero"`
	Usage        string    `json:"usage"`
}

func (c *inventoryCmd) Run(ctx context.Context, root *cli) error { return c.run(ctx, root, os.Stdout) }

func (c *inventoryCmd) run(ctx context.Context, root *cli, w io.Writer) error {
	p, err := loadPolicy(c.Policy)
	if err != nil {
		return err
	}
	now, err := parseNow(c.Now)
	if err != nil {
		return err
	}
	if now.IsZero() {
		now = time.Now().UTC()
	}
	st, err := root.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	rows, err := inventoryRows(ctx, st, p, now)
	if err != nil {
		return err
	}
	if c.Format == "jsonl" {
		return writeJSONL(w, rows)
	}
	return writeTable(w, rows)
}

// inventoryRows is the inventory with what the policy says of each
// identity: owner, age, who can see its use.
func inventoryRows(ctx context.Context, st *store.Store, p policy.Decider, now time.Time) ([]inventoryRow, error) {
	src := detect.Source{Conn: st.Conn(), Table: st.Table}
	ids, err := detect.LoadIdentities(ctx, src)
	if err != nil {
		return nil, err
	}
	env := detect.NewEnv(p, now, ids)
	if err := detect.Coverage(ctx, src, env); err != nil {
		return nil, fmt.Errorf("usage coverage: %w", err)
	}
	inv, err := inventory.New(st).Rows(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]inventoryRow, 0, len(inv))
	for _, r := range inv {
		row := inventoryRow{NHIID: r.NHIID, Kind: r.Kind, Principal: r.Principal, Hosts: r.Hosts, Locations: r.Locations,
			FirstSeen: r.FirstSeen.UTC(), LastSeen: r.LastSeen.UTC(), ExpiresAt: zero(r.ExpiresAt), StillPresent: r.StillPresent,
			PresentHosts: r.PresentHosts, LastUsed: zero(r.LastUsed), LastEvidence: r.LastEvidence, LastSource: r.LastSource}
		if id := env.Identities[r.NHIID]; id != nil {
			o := p.Owner(id.Policy())
			row.Owner, row.OwnerStatus, row.OwnerReason, row.AgeSince = o.Owner, o.Status, o.Reason, id.Age()
		}
		row.Usage = usage(env, r.NHIID, r.StillPresent)
		out = append(out, row)
	}
	return out, nil
}

// usage says who can see the identity's use: the covering source,
// "unobservable" when none can, "-" for an identity no longer present.
func usage(env *detect.Env, nhiID string, present bool) string {
	switch {
	case !present:
		return "-"
	case env.CoveredBy(nhiID) != "":
		return "observable: " + env.CoveredBy(nhiID)
	}
	return "unobservable"
}

func zero(t time.Time) time.Time {
	if t.Unix() <= 0 {
		return time.Time{}
	}
	return t.UTC()
}

func writeJSONL(w io.Writer, rows []inventoryRow) error {
	enc := json.NewEncoder(w)
	for _, r := range rows {
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	return nil
}

func writeTable(w io.Writer, rows []inventoryRow) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "KIND\tPRINCIPAL\tHOSTS\tLOCATIONS\tFIRST SEEN\tLAST SEEN\tPRESENT\tLAST USED\tOWNER\tOWNER STATUS\tAGE SINCE\tUSAGE")
	for _, r := range rows {
		present, used, age := "no", "never", "unknown"
		if r.StillPresent {
			present = "yes"
		}
		if !r.LastUsed.IsZero() {
			used = r.LastUsed.Format(time.RFC3339) + " (" + r.LastEvidence + ")"
		}
		if !r.AgeSince.IsZero() {
			age = r.AgeSince.Format("2006-01-02")
		}
		owner := r.Owner
		if owner == "" {
			owner = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Kind, r.Principal, strings.Join(r.Hosts, ","),
			strings.Join(r.Locations, ","), r.FirstSeen.Format(time.RFC3339), r.LastSeen.Format(time.RFC3339), present, used,
			owner, r.OwnerStatus, age, r.Usage)
	}
	fmt.Fprintf(tw, "\n%d identities\n", len(rows))
	return tw.Flush()
}
