// Command nhi-agent discovers non-human identities on a host and streams
// them to Kafka.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/alecthomas/kong"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

type cli struct {
	LogLevel slog.Level `help:"Log level (debug, info, warn, error)." default:"info" env:"NHI_LOG_LEVEL"`
	Scan     scanCmd    `cmd:"" help:"Scan once and print or publish what is found."`
	Version  versionCmd `cmd:"" help:"Print the version."`
}

type versionCmd struct{}

func (versionCmd) Run() error { fmt.Println(version); return nil }

func main() {
	var c cli
	kctx := kong.Parse(&c, kong.Name("nhi-agent"),
		kong.Description("NHI Radar agent: finds API keys, tokens, SSH keys and service accounts on this host."),
		kong.UsageOnError())
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: c.LogLevel}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	kctx.BindTo(ctx, (*context.Context)(nil))
	kctx.Bind(logger)
	if err := kctx.Run(); err != nil {
		logger.Error("nhi-agent failed", "command", kctx.Command(), "err", err)
		os.Exit(1)
	}
}
