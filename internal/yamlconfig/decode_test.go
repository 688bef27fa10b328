package yamlconfig

import (
	"strings"
	"testing"
)

type sample struct {
	Name  string   `yaml:"name"`
	Every Duration `yaml:"every"`
	Inner struct {
		Count int      `yaml:"count"`
		List  []string `yaml:"list"`
	} `yaml:"inner"`
}

func TestDecodeErrorsNameFileLineAndKey(t *testing.T) {
	cases := map[string]struct{ src, want string }{
		"unknown key":   {"name: a\ninner:\n  cuont: 1\n", "f.yaml:3: inner.cuont: unknown key (known: count, list)"},
		"wrong type":    {"inner:\n  count: lots\n", `f.yaml:2: inner.count: "lots" is not a whole number`},
		"bad duration":  {"every: soon\n", `f.yaml:1: every: "soon" is not a duration such as 90s, 15m or 6h`},
		"scalar a list": {"inner:\n  list: x\n", "f.yaml:2: inner.list: a single value given where a list is expected"},
		"alias":         {"name: &a x\ninner: *a\n", "f.yaml:1: YAML anchors and aliases are not allowed"},
		"deep":          {"name: " + strings.Repeat("[", 100), "f.yaml:1: nested deeper than 32 levels"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var v sample
			_, err := Decode("f.yaml", []byte(tc.src), &v)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestFileErrorfFindsLineOfKeyOrParent(t *testing.T) {
	var v sample
	f, err := Decode("f.yaml", []byte("name: a\ninner:\n  count: 1\n"), &v)
	if err != nil || v.Inner.Count != 1 {
		t.Fatalf("decode: %v %+v", err, v)
	}
	if got := f.Errorf("inner.count", "too few").Error(); got != "f.yaml:3: inner.count: too few" {
		t.Errorf("present key: %s", got)
	}
	if got := f.Errorf("inner.list", "required").Error(); got != "f.yaml:2: inner.list: required" {
		t.Errorf("absent key: %s", got)
	}
	if !f.Has("inner.count") || f.Has("every") {
		t.Error("Has is wrong")
	}
}

func TestEmptyFileDecodesToNothing(t *testing.T) {
	var v sample
	if _, err := Decode("f.yaml", []byte("# only a comment\n"), &v); err != nil || v.Name != "" {
		t.Fatalf("%v %+v", err, v)
	}
}
