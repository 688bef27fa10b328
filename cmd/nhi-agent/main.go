// Command nhi-agent discovers non-human identities on a host and streams
// them to Kafka.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/alecthomas/kong"

	"github.com/nhiradar/nhiradar/agent/config"
	"github.com/nhiradar/nhiradar/agent/service"
	"github.com/nhiradar/nhiradar/internal/buildinfo"
)

type cli struct {
	VersionFlag kong.VersionFlag `name:"version" help:"Print the version and commit, then exit."`
	LogLevel    slog.Level       `help:"Log level (debug, info, warn, error)." default:"info" env:"NHI_LOG_LEVEL"`
	LogFormat   string           `help:"Log format: text or json." enum:"text,json" default:"text" env:"NHI_LOG_FORMAT"`
	Scan        scanCmd          `cmd:"" help:"Scan once and print or publish what is found."`
	Run         runCmd           `cmd:"" help:"Run the agent in the foreground (what the service manager starts)."`
	Install     installCmd       `cmd:"" help:"Install the system service."`
	Uninstall   uninstallCmd     `cmd:"" help:"Remove the system service."`
	Start       startCmd         `cmd:"" help:"Start the system service."`
	Stop        stopCmd          `cmd:"" help:"Stop the system service."`
	Restart     restartCmd       `cmd:"" help:"Restart the system service."`
	Status      statusCmd        `cmd:"" help:"Print whether the system service runs."`
	Config      configCmd        `cmd:"" help:"Configuration tools."`
	Plugin      pluginCmd        `cmd:"" help:"Plugin tools."`
	Version     versionCmd       `cmd:"" help:"Print the version."`
}

type versionCmd struct{}

func (versionCmd) Run() error { fmt.Println(buildinfo.String("nhi-agent")); return nil }

// options are the parser's settings, shared with the tests.
func options() []kong.Option {
	return []kong.Option{kong.Name("nhi-agent"),
		kong.Description("NHI Radar agent: finds API keys, tokens, SSH keys and service accounts on this host."),
		kong.UsageOnError(), kong.Vars{"version": buildinfo.String("nhi-agent")},
		kong.Vars{"config_path": config.DefaultPath, "service_user": service.DefaultUser,
			"shipped": strings.Join(shipped, ","), "plugin_dir": config.DefaultPluginDir,
			"plugin_memory": strconv.Itoa(config.DefaultPluginMemory), "plugin_timeout": config.DefaultTimeout.String()}}
}

func main() {
	var c cli
	kctx := kong.Parse(&c, options()...)
	opts := &slog.HandlerOptions{Level: c.LogLevel}
	var h slog.Handler = slog.NewTextHandler(os.Stderr, opts)
	if c.LogFormat == "json" {
		h = slog.NewJSONHandler(os.Stderr, opts)
	}
	logger := slog.New(h)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	kctx.BindTo(ctx, (*context.Context)(nil))
	kctx.Bind(logger)
	if err := kctx.Run(); err != nil {
		logger.Error("nhi-agent failed", "command", kctx.Command(), "err", err)
		os.Exit(1)
	}
}
