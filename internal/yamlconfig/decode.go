// Package yamlconfig decodes NHI Radar's YAML configuration files the one
// way they are all read: from a bounded regular file, refusing anchors and
// deep nesting before decoding, strictly (an unknown key is an error), with
// errors that give the file, the line and the dotted key.
package yamlconfig

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"reflect"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// Error is a mistake in a configuration file. Line is 0 when the mistake
// has no place in the file (a required key that is absent).
type Error struct {
	File string
	Line int
	// Key is the dotted key ("kafka.brokers[1]"), empty when unknown.
	Key string
	Msg string
	// Err is the cause, when there is one to tell apart (*AliasError,
	// *DepthError, ErrTooLarge).
	Err error
}

func (e *Error) Unwrap() error { return e.Err }

func (e *Error) Error() string {
	at := e.File
	if e.Line > 0 {
		at = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	if e.Key == "" {
		return at + ": " + e.Msg
	}
	return at + ": " + e.Key + ": " + e.Msg
}

// File is a decoded configuration file: its name and the line of each key,
// for errors found after decoding.
type File struct {
	Name  string
	lines map[string]int
	// keyAt finds the key of a value or key the decoder points at.
	keyAt map[[2]int]string
}

// Errorf returns an Error about key (dotted), at its line or, when the key
// is absent from the file, at its nearest parent's.
func (f *File) Errorf(key, format string, args ...any) error {
	e := &Error{File: f.Name, Key: key, Msg: fmt.Sprintf(format, args...)}
	for k := key; k != ""; k = parentKey(k) {
		if line, ok := f.lines[k]; ok {
			e.Line = line
			break
		}
	}
	return e
}

// Has reports whether key (dotted) is in the file.
func (f *File) Has(key string) bool {
	_, ok := f.lines[key]
	return ok
}

// ReadFile reads the configuration at path (a regular file of at most
// MaxFileBytes) and decodes it into v.
func ReadFile(path string, v any) (*File, error) {
	b, err := ReadRegularFile(path, MaxFileBytes)
	if err != nil {
		msg := err.Error()
		var pe *fs.PathError
		if errors.As(err, &pe) {
			msg = pe.Op + ": " + pe.Err.Error() // the path leads the message already
		}
		return nil, &Error{File: path, Msg: msg, Err: err}
	}
	return Decode(path, b, v)
}

// Decode decodes src strictly into v; name stands for the file in errors.
// An empty file decodes to nothing and is not an error.
func Decode(name string, src []byte, v any) (*File, error) {
	if err := RefuseHostile(src); err != nil {
		var ae *AliasError
		var de *DepthError
		switch {
		case errors.As(err, &ae):
			return nil, &Error{File: name, Line: ae.Line, Msg: ae.Reason(), Err: err}
		case errors.As(err, &de):
			return nil, &Error{File: name, Line: de.Line, Msg: de.Reason(), Err: err}
		}
		return nil, &Error{File: name, Msg: err.Error(), Err: err}
	}
	f := &File{Name: name, lines: map[string]int{}, keyAt: map[[2]int]string{}}
	if tree, err := parser.ParseBytes(src, 0); err == nil {
		f.index(tree)
	}
	err := yaml.NewDecoder(bytes.NewReader(src), yaml.Strict()).Decode(v)
	if err == nil || errors.Is(err, io.EOF) {
		return f, nil
	}
	return nil, f.decodeError(err, reflect.TypeOf(v))
}

func (f *File) index(tree *ast.File) {
	v := visitor(func(n ast.Node) bool {
		mv, ok := n.(*ast.MappingValueNode)
		if !ok {
			return true
		}
		key := strings.TrimPrefix(mv.GetPath(), "$.")
		kt := mv.Key.GetToken()
		f.lines[key] = kt.Position.Line
		f.keyAt[pos(kt.Position.Line, kt.Position.Column)] = key
		if mv.Value != nil {
			vt := mv.Value.GetToken()
			f.keyAt[pos(vt.Position.Line, vt.Position.Column)] = key
		}
		return true
	})
	for _, doc := range tree.Docs {
		ast.Walk(v, doc)
	}
}

func pos(line, col int) [2]int { return [2]int{line, col} }

// decodeError turns the YAML library's error into an Error naming the key
// and saying what is wrong in the configuration's terms, not Go's.
func (f *File) decodeError(err error, into reflect.Type) error {
	var ve *ValueError
	if errors.As(err, &ve) {
		return &Error{File: f.Name, Line: ve.Line, Key: f.keyOnLine(ve.Line), Msg: ve.Msg}
	}
	var ye yaml.Error
	if !errors.As(err, &ye) || ye.GetToken() == nil {
		return &Error{File: f.Name, Msg: err.Error()}
	}
	tk := ye.GetToken()
	e := &Error{File: f.Name, Line: tk.Position.Line, Key: f.keyAt[pos(tk.Position.Line, tk.Position.Column)], Msg: ye.GetMessage()}
	var te *yaml.TypeError
	var ue *yaml.UnknownFieldError
	var ne *yaml.UnexpectedNodeTypeError
	var de *yaml.DuplicateKeyError
	switch {
	case errors.As(err, &ue):
		e.Msg = "unknown key"
		if e.Key == "" {
			e.Msg = ue.Message
		} else if known := knownKeys(into, parentKey(e.Key)); len(known) > 0 {
			e.Msg += " (known: " + strings.Join(known, ", ") + ")"
		}
	case errors.As(err, &te):
		e.Msg = fmt.Sprintf("%q is not %s", tk.Value, kindName(te.DstType))
	case errors.As(err, &ne):
		e.Msg = fmt.Sprintf("%s given where %s is expected", nodeName(ne.Actual), nodeName(ne.Expected))
	case errors.As(err, &de):
		e.Msg = fmt.Sprintf("%q is given twice in the same mapping", tk.Value)
	}
	return e
}

// knownKeys lists the keys the struct at the dotted path of t decodes.
func knownKeys(t reflect.Type, path string) []string {
	var parts []string
	if path != "" {
		parts = strings.Split(path, ".")
	}
	for {
		for t != nil && (t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map) {
			t = t.Elem()
		}
		if t == nil || t.Kind() != reflect.Struct {
			return nil
		}
		var keys []string
		var next reflect.Type
		for i := range t.NumField() {
			tag, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
			if tag == "" || tag == "-" {
				continue
			}
			keys = append(keys, tag)
			if len(parts) > 0 && tag == strings.SplitN(parts[0], "[", 2)[0] {
				next = t.Field(i).Type
			}
		}
		if len(parts) == 0 {
			return keys
		}
		t, parts = next, parts[1:]
	}
}

func nodeName(t ast.NodeType) string {
	switch t {
	case ast.SequenceType:
		return "a list"
	case ast.MappingType:
		return "a mapping of keys"
	case ast.NullType:
		return "nothing"
	}
	return "a single value"
}

// keyOnLine is the innermost key on line, for errors that carry only a line.
func (f *File) keyOnLine(line int) string {
	best := ""
	for k, l := range f.lines {
		if l == line && len(k) > len(best) {
			best = k
		}
	}
	return best
}

func kindName(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "a valid value"
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "a mapping of keys"
	}
	return "a valid " + t.String()
}

func parentKey(k string) string {
	if i := strings.LastIndexAny(k, ".["); i > 0 {
		return k[:i]
	}
	return ""
}
