package config

import (
	"fmt"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// AliasError reports a YAML anchor or alias in the configuration.
type AliasError struct {
	Line int
}

// Reason says what is wrong, without the line.
func (e *AliasError) Reason() string {
	return "YAML anchors and aliases are not allowed in the agent configuration"
}

func (e *AliasError) Error() string {
	return fmt.Sprintf("config: line %d: %s", e.Line, e.Reason())
}

// refuseAliases rejects anchors and aliases before anything is decoded. The
// configuration never needs them, and decoding expands each alias in full:
// a few hundred bytes of nested aliases ("billion laughs") take minutes and
// gigabytes. Parsing to the syntax tree does not expand them, so it is safe
// to walk.
func refuseAliases(src []byte) error {
	f, err := parser.ParseBytes(src, 0)
	if err != nil {
		// The decoder reports syntax errors with their position.
		return nil
	}
	var found *AliasError
	v := visitor(func(n ast.Node) bool {
		switch n.(type) {
		case *ast.AliasNode, *ast.AnchorNode:
			found = &AliasError{Line: n.GetToken().Position.Line}
		}
		return found == nil
	})
	for _, doc := range f.Docs {
		if ast.Walk(v, doc); found != nil {
			return found
		}
	}
	return nil
}

type visitor func(ast.Node) bool

func (v visitor) Visit(n ast.Node) ast.Visitor {
	if !v(n) {
		return nil
	}
	return v
}
