package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/nhiradar/nhiradar/agent/orgkey"
	"github.com/nhiradar/nhiradar/agent/publish"
	"github.com/nhiradar/nhiradar/agent/scan"
	"github.com/nhiradar/nhiradar/plugins/sdk/baseline"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
	"github.com/nhiradar/nhiradar/plugins/sdk/hostfs"
)

type scanCmd struct {
	Root               string        `help:"Directory standing for the host's / (a mounted image or a test tree)." type:"existingdir"`
	Output             string        `help:"Where events go: jsonl (stdout) or kafka." enum:"jsonl,kafka" default:"jsonl"`
	Brokers            []string      `help:"Kafka brokers, for --output kafka." env:"NHI_KAFKA_BROKERS" sep:","`
	Topic              string        `help:"Kafka topic, for --output kafka." default:"nhi.events" env:"NHI_KAFKA_TOPIC"`
	PublishTimeout     time.Duration `help:"How long --output kafka waits, after the scan, for Kafka to acknowledge every event; the scan fails if some are left." default:"60s" name:"publish-timeout"`
	Host               string        `help:"Host name to report (default: the root's /etc/hostname, else this machine's)."`
	AgentID            string        `help:"Agent id to report (default: derived from the host name)." name:"agent-id"`
	FingerprintKeyFile string        `help:"File holding the organisation fingerprint key (or set NHI_FINGERPRINT_KEY)." type:"path"`
	Baseline           []string      `help:"Report only what is new: leave out identities listed in this earlier --output jsonl file (repeatable)." type:"existingfile"`
	Ignore             []string      `help:"Leave out identities whose fingerprint or nhi_id this file lists, one per line, # comments (repeatable)." type:"existingfile"`
	pluginFlags
}

func (c *scanCmd) Run(ctx context.Context, log *slog.Logger) error {
	key, ok, err := orgkey.Load(c.FingerprintKeyFile)
	if err != nil {
		return err
	}
	if !ok {
		// No key, no publish: events published under a random key would
		// never match the organisation's fingerprints.
		if c.Output == "kafka" {
			return fmt.Errorf("scan --output kafka needs the organisation fingerprint key: set %s or pass --fingerprint-key-file (a random key is only allowed with --output jsonl)", orgkey.EnvVar)
		}
		fmt.Fprintf(os.Stderr, "nhi-agent: note: no fingerprint key (%s or --fingerprint-key-file); using a random one, so fingerprints are comparable only within this scan\n", orgkey.EnvVar)
		key = orgkey.Ephemeral()
	}
	host := c.hostName()
	agentID := c.AgentID
	if agentID == "" {
		agentID = "scan-" + host
	}
	plugins, stop, err := c.open(log)
	if err != nil {
		return err
	}
	defer stop()
	sink, flush, err := c.sink(ctx, log)
	if err != nil {
		return err
	}
	if sink, err = c.filtered(sink, log); err != nil {
		return err
	}
	r := &scan.Runner{Plugins: plugins, AgentID: agentID, Host: host, Root: c.Root, FingerprintKey: key, Log: log}
	failed := 0
	for _, res := range r.Run(ctx, sink) {
		log.Info("plugin scanned", "plugin", res.Plugin, "events", res.Events, "invalid", res.Invalid, "duration", res.Duration)
		if res.Err != nil {
			failed++
		}
	}
	if err := flush(ctx); err != nil {
		return err
	}
	if failed > 0 {
		return fmt.Errorf("%d plugin(s) reported errors (see log)", failed)
	}
	return ctx.Err()
}

func (c *scanCmd) hostName() string {
	if c.Host != "" {
		return c.Host
	}
	if c.Root != "" {
		if b, err := hostfs.New(c.Root).ReadFile("/etc/hostname", 4096); err == nil && strings.TrimSpace(string(b)) != "" {
			return strings.TrimSpace(string(b))
		}
	}
	h, _ := os.Hostname()
	return h
}

// sink returns where events go and a function that flushes what is buffered.
func (c *scanCmd) sink(ctx context.Context, log *slog.Logger) (scan.Sink, func(context.Context) error, error) {
	if c.Output == "jsonl" {
		w := bufio.NewWriter(os.Stdout)
		enc := json.NewEncoder(w)
		return func(_ context.Context, e *event.Event) error { return enc.Encode(e) },
			func(context.Context) error { return w.Flush() }, nil
	}
	o, err := publish.StartOneShot(ctx, publish.Config{Brokers: c.Brokers, Topic: c.Topic}, log)
	if err != nil {
		return nil, nil, err
	}
	return o.Put, func(ctx context.Context) error { return o.Close(ctx, c.PublishTimeout) }, nil
}

// filtered drops observations of identities named by --baseline and
// --ignore files. Usage evidence and scan_completed pass: a known identity
// that is still present must still count as present.
func (c *scanCmd) filtered(next scan.Sink, log *slog.Logger) (scan.Sink, error) {
	var f baseline.Filter
	for _, p := range append(append([]string{}, c.Baseline...), c.Ignore...) {
		// A FIFO or device would hang or flood the load, which no signal
		// interrupts.
		if st, err := os.Stat(p); err != nil || !st.Mode().IsRegular() {
			return nil, fmt.Errorf("baseline %s: not a regular file", p)
		}
		if err := f.Load(p); err != nil {
			return nil, err
		}
	}
	if f.Len() == 0 {
		return next, nil
	}
	log.Info("baseline loaded", "identities", f.Len())
	return func(ctx context.Context, e *event.Event) error {
		if e.Type == event.TypeNHIObserved && (f.Skip(e.Fingerprint) || f.Skip(e.NHIID)) {
			return nil
		}
		return next(ctx, e)
	}, nil
}
