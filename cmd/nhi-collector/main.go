// Command nhi-collector consumes NHI Radar events from Kafka and stores them
// in ClickHouse.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"runtime/pprof"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/alecthomas/kong"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/nhiradar/nhiradar/analytics/analyze"
	"github.com/nhiradar/nhiradar/collector/admin"
	"github.com/nhiradar/nhiradar/collector/governance"
	"github.com/nhiradar/nhiradar/collector/ingest"
	"github.com/nhiradar/nhiradar/collector/store"
	"github.com/nhiradar/nhiradar/collector/store/eventdb"
	"github.com/nhiradar/nhiradar/collector/ticket"
	"github.com/nhiradar/nhiradar/internal/buildinfo"
	"github.com/nhiradar/nhiradar/internal/memlimit"
)

type storeFlags struct {
	ClickHouse []string `help:"ClickHouse native-protocol addresses." default:"127.0.0.1:19000" env:"NHI_CLICKHOUSE_ADDR" sep:"," name:"clickhouse"`
	Database   string   `help:"ClickHouse database." default:"nhi" env:"NHI_CLICKHOUSE_DATABASE"`
	User       string   `help:"ClickHouse user." default:"default" env:"NHI_CLICKHOUSE_USER"`
	Cluster    string   `help:"ClickHouse cluster for ON CLUSTER DDL (empty: single server)." env:"NHI_CLICKHOUSE_CLUSTER"`
	Retention  int      `help:"Drop raw events older than this many days where the server supports TTL (0: keep them); the aggregate state stays. Applies when the schema is created." name:"retention-days" env:"NHI_RETENTION_DAYS"`
	// The password itself is never a flag: it would show in ps.
	PasswordFile string `help:"File holding the ClickHouse password (default: the NHI_CLICKHOUSE_PASSWORD environment variable)." type:"existingfile" placeholder:"FILE" name:"clickhouse-password-file" env:"NHI_CLICKHOUSE_PASSWORD_FILE"`
}

func (f storeFlags) open(ctx context.Context) (*store.Store, error) {
	password, err := f.password()
	if err != nil {
		return nil, err
	}
	return store.Open(ctx, store.Config{Addr: f.ClickHouse, Database: f.Database, Username: f.User,
		Password: password, Cluster: f.Cluster, RetentionDays: f.Retention})
}

// password is the ClickHouse password: from its file, else from the
// environment (empty: none).
func (f storeFlags) password() (string, error) {
	if f.PasswordFile == "" {
		return os.Getenv("NHI_CLICKHOUSE_PASSWORD"), nil
	}
	p, err := ticket.SecretRef{File: f.PasswordFile}.Load()
	if err != nil {
		return "", fmt.Errorf("clickhouse password: %w", err)
	}
	return p, nil
}

type cli struct {
	VersionFlag kong.VersionFlag `name:"version" help:"Print the version and commit, then exit."`
	Config      configFile       `help:"YAML configuration file (see docs/CONFIGURATION.md); flags on the command line override it." type:"existingfile" placeholder:"FILE" env:"NHI_COLLECTOR_CONFIG"`
	LogLevel    slog.Level       `help:"Log level (debug, info, warn, error)." default:"info" env:"NHI_LOG_LEVEL"`
	Run         runCmd           `cmd:"" help:"Consume events from Kafka into ClickHouse until stopped."`
	Migrate     migrateCmd       `cmd:"" help:"Create or upgrade the ClickHouse schema, then exit."`
	Version     versionCmd       `cmd:"" help:"Print the version."`
	ConfigCmd   configCmd        `cmd:"" name:"config" help:"Check a configuration file."`
}

type versionCmd struct{}

func (versionCmd) Run() error {
	os.Stdout.WriteString(buildinfo.String("nhi-collector") + "\n")
	return nil
}

type migrateCmd struct {
	storeFlags
}

func (c *migrateCmd) Run(ctx context.Context, log *slog.Logger) error {
	st, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	applied, err := st.Migrate(ctx)
	log.Info("schema migrated", "database", st.Database(), "applied", applied)
	return err
}

type runCmd struct {
	storeFlags
	Brokers        []string      `help:"Kafka brokers." default:"127.0.0.1:19092" env:"NHI_KAFKA_BROKERS" sep:","`
	Topic          string        `help:"Kafka topic to consume." default:"nhi.events" env:"NHI_KAFKA_TOPIC"`
	Group          string        `help:"Kafka consumer group." default:"nhi-collector" env:"NHI_KAFKA_GROUP"`
	DLQTopic       string        `help:"Dead-letter topic (default: TOPIC.dlq)." name:"dlq-topic"`
	Partitions     int           `help:"Partitions of the topic when the collector creates it." default:"6"`
	BatchRows      int           `help:"Store a batch at this many rows..." default:"50000"`
	BatchWait      time.Duration `help:"...or after this long." default:"1s"`
	BatchBytes     int           `help:"...or once its messages hold this many bytes." default:"33554432"`
	MemoryLimit    int64         `help:"Soft limit of the collector's memory in bytes, which the garbage collector keeps to by working harder (0: 64 MiB + 4 x --batch-bytes; -1: none; GOMEMLIMIT in the environment takes precedence)." default:"0" name:"memory-limit" env:"NHI_COLLECTOR_MEMORY_LIMIT"`
	DLQFile        string        `help:"Local file (JSON lines) for dead letters the dead-letter topic refuses (default: nhi-collector-dlq.jsonl in the temporary directory)." name:"dlq-file" env:"NHI_COLLECTOR_DLQ_FILE"`
	DLQFileMax     int64         `help:"Rotate the local dead-letter file at this size in bytes." default:"67108864" name:"dlq-file-max-bytes"`
	StallAfter     time.Duration `help:"/readyz reports not ready when fetched messages stay uncommitted this long." default:"2m"`
	SessionTimeout time.Duration `help:"Hand a silent collector's partitions to the others after this long." default:"10s"`
	CPUProfile     string        `help:"Write a CPU profile here until the collector stops." hidden:"" name:"cpuprofile"`
	Listen         string        `help:"Address of /healthz, /readyz and /metrics (empty: off)." default:"127.0.0.1:9464" env:"NHI_COLLECTOR_LISTEN"`
	governanceFlags
}

// governanceFlags configure the governance rounds (analysis, ticket plan,
// ticket sync) that one collector of the group runs.
type governanceFlags struct {
	Policy            string        `help:"Policy file of the governance rounds (default: the built-in policy)." type:"existingfile" placeholder:"FILE" env:"NHI_POLICY"`
	Ticketing         string        `help:"Connection settings of the ticket system the policy names (rt, servicenow, jira, webhook): see collector/ticket/*/sample.yaml." type:"existingfile" placeholder:"FILE" env:"NHI_TICKETING"`
	AnalyzeEvery      time.Duration `help:"Run a governance round this often (0: no rounds in this collector)." default:"15m" name:"analyze-every" env:"NHI_ANALYZE_EVERY"`
	AnalyzeAfterScans time.Duration `help:"Run a round this long after new full scans are stored (lets a sweep of hosts land)." default:"1m" name:"analyze-after-scans"`
	CompactEvery      time.Duration `help:"Compact the maintained tables this often, in the collector that analyses (0: never): reads merge fewer parts." default:"24h" name:"compact-every" env:"NHI_COMPACT_EVERY"`
	Outbox            string        `help:"The ticket outbox file (default: outbox-DATABASE.db in the state directory)." placeholder:"FILE" env:"NHI_OUTBOX"`
	AnalyzeNow        string        `help:"Analysis clock, RFC 3339: for replay and tests." hidden:"" name:"analyze-now"`
	StateDir          string        `help:"Directory of the collector's state (default: $STATE_DIRECTORY under systemd, else the user's cache directory/nhiradar)." name:"state-dir" env:"NHI_COLLECTOR_STATE_DIR"`
	HookSecretFile    string        `help:"File holding the shared secret of ticket systems' pushes to /hooks/tickets (HMAC-SHA256, X-NHI-Signature); without it the endpoint is off." type:"existingfile" placeholder:"FILE" name:"hook-secret-file" env:"NHI_TICKET_HOOK_SECRET_FILE"`
}

func (c *runCmd) Run(ctx context.Context, log *slog.Logger) error {
	if c.CPUProfile != "" {
		f, err := os.Create(c.CPUProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	limit := c.memoryLimit()
	memlimit.Set(limit)
	log.Debug("memory limit", "bytes", limit)
	// /healthz answers from the start, before Kafka and ClickHouse do;
	// /readyz says "starting" until both are connected.
	var stp atomic.Pointer[store.Store]
	var consp atomic.Pointer[ingest.Consumer]
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if c.Listen != "" {
		c.serveAdmin(ctx, reg, &stp, &consp, log)
	}
	st, err := untilUp(ctx, log, "clickhouse", func() (*store.Store, error) { return c.open(ctx) })
	if err != nil {
		return err
	}
	defer st.Close()
	stp.Store(st)
	if _, err := st.Migrate(ctx); err != nil {
		return err
	}
	dlq := c.DLQTopic
	if dlq == "" {
		dlq = c.Topic + ".dlq"
	}
	if _, err := untilUp(ctx, log, "kafka", func() (struct{}, error) {
		return struct{}{}, ingest.EnsureTopics(ctx, c.Brokers, c.Partitions, 1, c.Topic, dlq)
	}); err != nil {
		return err
	}
	gov, err := c.startGovernance(ctx, st, reg, log)
	if err != nil {
		return err
	}
	defer gov()
	cons, err := ingest.New(ingest.Config{Brokers: c.Brokers, Topic: c.Topic, GroupID: c.Group, DLQTopic: dlq,
		BatchRows: c.BatchRows, BatchWait: c.BatchWait, BatchBytes: c.BatchBytes, DLQFile: c.DLQFile,
		DLQFileMaxBytes: c.DLQFileMax, StallAfter: c.StallAfter,
		SessionTimeout: c.SessionTimeout, Metrics: ingest.NewMetrics(reg)}, preparingStore{eventdb.New(st)}, log)
	if err != nil {
		return err
	}
	defer cons.Close()
	consp.Store(cons)
	log.Info("collector running", "topic", c.Topic, "group", c.Group, "database", st.Database())
	err = cons.Run(ctx)
	log.Info("collector stopped", "messages", cons.Stats.Messages.Load(), "stored", cons.Stats.Stored.Load(), "dead_letters", cons.Stats.DeadLetters.Load())
	return err
}

// untilUp calls connect until it succeeds or ctx ends, so that the collector
// waits (with /healthz up and /readyz "starting") for a service that is not
// reachable yet instead of exiting.
func untilUp[T any](ctx context.Context, log *slog.Logger, what string, connect func() (T, error)) (T, error) {
	wait := time.Second
	for {
		v, err := connect()
		if err == nil {
			return v, nil
		}
		log.Warn("waiting for "+what, "retry_in", wait, "err", err)
		select {
		case <-ctx.Done():
			return v, fmt.Errorf("%s not reachable before shutdown: %w", what, err)
		case <-time.After(wait):
		}
		wait = min(wait*2, 30*time.Second)
	}
}

// serveAdmin starts /healthz, /readyz and /metrics; the readiness checks
// fail with "starting" until the store and consumer exist.
func (c *runCmd) serveAdmin(ctx context.Context, reg *prometheus.Registry, stp *atomic.Pointer[store.Store], consp *atomic.Pointer[ingest.Consumer], log *slog.Logger) {
	errStarting := errors.New("starting: not connected yet")
	h := admin.Handler(reg,
		admin.Check{Name: "clickhouse", Fn: func(ctx context.Context) error {
			if st := stp.Load(); st != nil {
				return st.Ping(ctx)
			}
			return errStarting
		}},
		admin.Check{Name: "kafka", Fn: func(ctx context.Context) error {
			if cons := consp.Load(); cons != nil {
				return cons.Ready(ctx)
			}
			return errStarting
		}},
		admin.Check{Name: "pipeline", Fn: func(ctx context.Context) error {
			if cons := consp.Load(); cons != nil {
				return cons.Progress(ctx)
			}
			return errStarting
		}})
	if c.HookSecretFile != "" {
		secret, err := ticket.SecretRef{File: c.HookSecretFile}.Load()
		if err != nil {
			log.Error("ticket pushes off: the hook secret cannot be read", "err", err)
		} else {
			mux := http.NewServeMux()
			mux.Handle("/", h)
			mux.Handle(governance.HookPath, governance.HookHandler(stp.Load, []byte(secret), log))
			h = mux
		}
	}
	go func() {
		// Ingest matters more than the endpoints: a port in use is
		// logged, not fatal.
		if err := admin.Serve(ctx, c.Listen, h, log); err != nil {
			log.Error("admin endpoints unavailable", "err", err)
		}
	}()
}

func main() {
	var c cli
	k, err := newParser(&c)
	if err != nil {
		panic(err) // a broken flag model: a programming error
	}
	kctx, err := k.Parse(os.Args[1:])
	k.FatalIfErrorf(err)
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: c.LogLevel}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	kctx.BindTo(ctx, (*context.Context)(nil))
	kctx.Bind(logger)
	if err := kctx.Run(); err != nil {
		logger.Error("nhi-collector failed", "command", kctx.Command(), "err", err)
		os.Exit(1)
	}
}

// newParser is the command line of nhi-collector; `config check` parses a
// file through it too, so that the check is the real startup's.
func newParser(c *cli, opts ...kong.Option) (*kong.Kong, error) {
	return kong.New(c, append([]kong.Option{kong.Name("nhi-collector"),
		kong.Description("NHI Radar collector: Kafka in, ClickHouse out."), kong.UsageOnError(),
		kong.Vars{"version": buildinfo.String("nhi-collector")}}, opts...)...)
}

// preparingStore lets the consumer convert the next batch to ClickHouse
// columns while the previous one is being inserted.
type preparingStore struct{ *eventdb.Writer }

func (s preparingStore) Prepare(ctx context.Context) ingest.Appender {
	return s.Writer.Prepare(ctx)
}

// memoryLimit is the soft memory limit to set, 0 for none. Without one the
// heap grows to twice what is live before a collection (GOGC=100), and what
// is live is one batch being stored and the next being prepared: about
// four times a batch's message bytes at most, and, in a collector that
// runs governance rounds, an analysis's share (analyze.MemoryLimit).
func (c *runCmd) memoryLimit() int64 {
	limit := 64<<20 + 4*int64(c.BatchBytes)
	if c.AnalyzeEvery > 0 {
		limit += analyze.MemoryLimit
	}
	return memlimit.Choose(c.MemoryLimit, limit)
}
