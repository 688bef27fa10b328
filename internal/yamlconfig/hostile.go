package yamlconfig

import (
	"fmt"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// AliasError reports a YAML anchor or alias in the configuration.
type AliasError struct {
	Line int
}

// Reason says what is wrong, without the line.
func (e *AliasError) Reason() string {
	return "YAML anchors and aliases are not allowed in the configuration"
}

func (e *AliasError) Error() string {
	return fmt.Sprintf("config: line %d: %s", e.Line, e.Reason())
}

// MaxDepth bounds the nesting of the configuration; the real one nests
// four deep.
const MaxDepth = 32

// DepthError reports a configuration nested deeper than MaxDepth.
type DepthError struct {
	Line int
}

func (e *DepthError) Error() string {
	return fmt.Sprintf("config: line %d: %s", e.Line, e.Reason())
}

// Reason says what is wrong, without the line.
func (e *DepthError) Reason() string {
	return fmt.Sprintf("nested deeper than %d levels", MaxDepth)
}

// RefuseHostile rejects, before anything is decoded, what makes the YAML
// library take minutes and gigabytes on a small file:
//
//   - anchors and aliases: decoding expands each alias in full, so a few
//     hundred bytes of nested aliases ("billion laughs") make billions of
//     values; the configuration never needs them;
//   - deep nesting: the parser's time grows with the square of the depth
//     (10,000 levels of "[" take 200 ms, a 1 MiB file hours).
//
// The lexer is linear and expands nothing, and the syntax tree holds an
// alias as one node, so both checks are safe on any input.
func RefuseHostile(src []byte) error {
	tokens := lexer.Tokenize(string(src))
	if err := refuseDeep(tokens); err != nil {
		return err
	}
	f, err := parser.Parse(tokens, 0)
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

// refuseDeep estimates the nesting from the tokens: flow collections by
// their brackets, block ones by a stack of the columns where lines and
// sequence entries start, which grows as the indentation does. It can only
// overestimate by a level where a key and its value sit on separate lines.
func refuseDeep(tokens token.Tokens) error {
	flow, line := 0, 0
	var block []int
	for _, tk := range tokens {
		switch tk.Type {
		case token.CommentType:
			continue
		case token.SequenceStartType, token.MappingStartType:
			flow++
		case token.SequenceEndType, token.MappingEndType:
			// Unbalanced closers must not hide block nesting that follows.
			flow = max(flow-1, 0)
		}
		if flow == 0 && (tk.Position.Line != line || tk.Type == token.SequenceEntryType) {
			for len(block) > 0 && block[len(block)-1] >= tk.Position.Column {
				block = block[:len(block)-1]
			}
			block = append(block, tk.Position.Column)
		}
		line = tk.Position.Line
		if flow+len(block) > MaxDepth {
			return &DepthError{Line: tk.Position.Line}
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
