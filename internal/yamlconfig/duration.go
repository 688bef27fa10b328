package yamlconfig

import (
	"fmt"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
)

// Duration is a time.Duration written as "90s", "15m" or "6h". It exists so
// that a malformed value is reported with its line, which the YAML library
// does not do for time.Duration.
type Duration struct{ time.Duration }

// UnmarshalYAML implements yaml.NodeUnmarshaler.
func (d *Duration) UnmarshalYAML(n ast.Node) error {
	s := strings.Trim(n.String(), `"'`)
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return &ValueError{Line: n.GetToken().Position.Line, Msg: fmt.Sprintf("%q is not a duration such as 90s, 15m or 6h", s)}
	}
	d.Duration = v
	return nil
}

// ValueError is a value a type's UnmarshalYAML refused, with its line: the
// YAML library reports such errors without a position.
type ValueError struct {
	Line int
	Msg  string
}

func (e *ValueError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// MarshalYAML writes the duration as a string.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }
