package policy

import (
	"fmt"

	"github.com/goccy/go-yaml/ast"
)

// lineIndex maps a dotted key path ("rules.dormant.severity",
// "owners.rules[0].owner") to the line its key sits on. The decoded structs
// lose map-key lines, and an error must point at the key a person wrote.
type lineIndex map[string]int

func indexLines(docs []*ast.DocumentNode) lineIndex {
	idx := lineIndex{}
	for _, d := range docs {
		idx.walk("", d.Body)
	}
	return idx
}

func (idx lineIndex) walk(path string, n ast.Node) {
	switch v := n.(type) {
	case *ast.MappingNode:
		for _, mv := range v.Values {
			idx.walk(path, mv)
		}
	case *ast.MappingValueNode:
		p := v.Key.GetToken().Value
		if path != "" {
			p = path + "." + p
		}
		idx[p] = nodeLine(v.Key)
		idx.walk(p, v.Value)
	case *ast.SequenceNode:
		for i, item := range v.Values {
			p := fmt.Sprintf("%s[%d]", path, i)
			idx[p] = nodeLine(item)
			idx.walk(p, item)
		}
	case *ast.TagNode:
		idx.walk(path, v.Value)
	}
}

// at is the line of path, else of the nearest enclosing key that was written.
func (idx lineIndex) at(path string) int {
	for p := path; p != ""; p = parent(p) {
		if l, ok := idx[p]; ok && l > 0 {
			return l
		}
	}
	return 1
}

func parent(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '.' || p[i] == '[' {
			return p[:i]
		}
	}
	return ""
}
