package config

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

// yamlKeys lists the dotted keys of a struct's yaml tags, "[]" for slices.
func yamlKeys(t reflect.Type, prefix string) []string {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct {
			prefix += "[]"
		}
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t.PkgPath() != reflect.TypeOf(Config{}).PkgPath() || t.Name() == "Duration" {
		return []string{prefix}
	}
	var out []string
	for i := 0; i < t.NumField(); i++ {
		tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
		if tag == "" || tag == "-" {
			continue
		}
		key := tag
		if prefix != "" {
			key = prefix + "." + tag
		}
		out = append(out, yamlKeys(t.Field(i).Type, key)...)
	}
	return out
}

// TestReferenceCoversConfig: every key the agent decodes is in the
// configuration reference.
func TestReferenceCoversConfig(t *testing.T) {
	doc, err := os.ReadFile("../../docs/CONFIGURATION.md")
	if err != nil {
		t.Fatal(err)
	}
	keys := yamlKeys(reflect.TypeOf(Config{}), "")
	if len(keys) < 30 {
		t.Fatalf("only %d keys found: the walk is broken", len(keys))
	}
	for _, k := range keys {
		if !strings.Contains(string(doc), "`"+k+"`") {
			t.Errorf("docs/CONFIGURATION.md does not describe agent key %s", k)
		}
	}
}
