package policy

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
)

// Error is one mistake in a policy file, tied to its line.
type Error struct {
	File string
	Line int
	Key  string
	Msg  string
}

func (e *Error) Error() string {
	if e.Key == "" {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s: %s", e.File, e.Line, e.Key, e.Msg)
}

// Errors is every mistake found in one load, in file order.
type Errors []*Error

func (es Errors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

func nodeLine(n ast.Node) int {
	if n == nil || n.GetToken() == nil {
		return 0
	}
	return n.GetToken().Position.Line
}

// toError turns a decoder error into a file:line error.
func toError(file string, err error) *Error {
	var ye yaml.Error
	if errors.As(err, &ye) {
		line := 0
		if tk := ye.GetToken(); tk != nil {
			line = tk.Position.Line
		}
		key := ""
		if tk := ye.GetToken(); tk != nil {
			key = tk.Value
		}
		return &Error{File: file, Line: line, Key: key, Msg: ye.GetMessage()}
	}
	return &Error{File: file, Line: 1, Msg: err.Error()}
}

// located decodes T strictly and remembers the line it started on.
type located[T any] struct {
	V    T
	Line int
}

func (l *located[T]) UnmarshalYAML(n ast.Node) error {
	l.Line = nodeLine(n)
	return yaml.NodeToValue(n, &l.V, yaml.DisallowUnknownField())
}

// expr is a CEL expression with its line.
type expr struct {
	Text string
	Line int
	// bad is reported by the builder, so one wrong value does not hide the rest.
	bad string
}

func (e *expr) UnmarshalYAML(n ast.Node) error {
	e.Line = nodeLine(n)
	s, ok := n.(*ast.StringNode)
	if !ok {
		e.bad = "must be a string holding a CEL expression"
		return nil
	}
	e.Text = s.Value
	return nil
}

// Duration accepts Go durations ("12h", "30m") and days ("90d").
type Duration struct {
	D    time.Duration
	Line int
	// bad holds a parse failure for the builder to report under the key's
	// full path: returning it here would stop the decoder at the first one.
	bad string
}

func (d *Duration) UnmarshalYAML(n ast.Node) error {
	d.Line = nodeLine(n)
	v, err := parseDuration(strings.TrimSpace(n.String()))
	if err != nil {
		d.bad = err.Error()
		return nil
	}
	d.D = v
	return nil
}

func parseDuration(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%q is not a duration (use e.g. 90d, 12h, 30m)", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("%q is not a duration (use e.g. 90d, 12h, 30m)", s)
	}
	return v, nil
}

// refuseAliases rejects anchors and aliases: a policy never needs them and
// they are how alias bombs blow up a parser.
func refuseAliases(file string, root ast.Node) *Error {
	var found *Error
	ast.Walk(visitor(func(n ast.Node) bool {
		switch n.(type) {
		case *ast.AliasNode, *ast.AnchorNode:
			found = &Error{File: file, Line: nodeLine(n), Msg: "YAML anchors and aliases are not allowed in a policy"}
			return false
		}
		return found == nil
	}), root)
	return found
}

type visitor func(ast.Node) bool

func (v visitor) Visit(n ast.Node) ast.Visitor {
	if !v(n) {
		return nil
	}
	return v
}
