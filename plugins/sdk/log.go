package sdk

import (
	"io"
	"log/slog"
	"time"
)

// PluginLogger returns the logger a plugin executable's scans receive: JSON
// lines on w (the process's stderr) in the shape go-plugin parses, so that
// the agent logs each record at its level, with its attributes and the
// plugin's name, instead of as an opaque line of debug output.
func PluginLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug, ReplaceAttr: hclogAttr}))
}

// hclogAttr renames slog's built-in keys to go-plugin's (@message, @level,
// @timestamp) and writes the level and time the way it parses them.
func hclogAttr(groups []string, a slog.Attr) slog.Attr {
	if len(groups) > 0 {
		return a
	}
	switch a.Key {
	case slog.MessageKey:
		a.Key = "@message"
	case slog.LevelKey:
		a = slog.String("@level", hclogLevel(a.Value.Any()))
	case slog.TimeKey:
		if t, ok := a.Value.Any().(time.Time); ok {
			a = slog.String("@timestamp", t.Format("2006-01-02T15:04:05.000000Z07:00"))
		}
	}
	return a
}

func hclogLevel(v any) string {
	l, ok := v.(slog.Level)
	if !ok {
		return "info"
	}
	switch {
	case l < slog.LevelDebug:
		return "trace"
	case l < slog.LevelInfo:
		return "debug"
	case l < slog.LevelWarn:
		return "info"
	case l < slog.LevelError:
		return "warn"
	default:
		return "error"
	}
}
