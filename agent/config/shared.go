package config

import "github.com/nhiradar/nhiradar/internal/yamlconfig"

// The agent's file handling is the one every NHI Radar YAML file uses;
// these names keep the agent's callers and tests unchanged.
const (
	MaxFileBytes   = yamlconfig.MaxFileBytes
	MaxSecretBytes = yamlconfig.MaxSecretBytes
	MaxDepth       = yamlconfig.MaxDepth
)

var (
	ErrTooLarge   = yamlconfig.ErrTooLarge
	ErrNotRegular = yamlconfig.ErrNotRegular
)

type (
	// Duration is a time.Duration written as "90s", "15m" or "6h".
	Duration = yamlconfig.Duration
	// AliasError reports a YAML anchor or alias in the configuration.
	AliasError = yamlconfig.AliasError
	// DepthError reports a configuration nested too deep.
	DepthError = yamlconfig.DepthError
)

// ReadRegularFile reads a regular file of at most max bytes (see
// yamlconfig.ReadRegularFile).
func ReadRegularFile(path string, max int64) ([]byte, error) {
	return yamlconfig.ReadRegularFile(path, max)
}
