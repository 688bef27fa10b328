package policy

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

// policyKeys lists the dotted keys of policy.yaml's structs: a map of
// rules is rules.<rule>, a map of values ends at its key, slices of
// structs are [].
func policyKeys(t reflect.Type, prefix string) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Struct {
			return policyKeys(t.Elem(), prefix+"[]")
		}
		return []string{prefix}
	case reflect.Map:
		if prefix == "rules" {
			return policyKeys(t.Elem(), "rules.<rule>")
		}
		return []string{prefix}
	case reflect.Struct:
	default:
		return []string{prefix}
	}
	if strings.HasPrefix(t.Name(), "located[") {
		return policyKeys(t.Field(0).Type, prefix)
	}
	// Leaves: a duration, a CEL expression, a match (its keys are listed
	// in the text), and the thresholds of an override (the same keys as
	// the top-level thresholds).
	switch {
	case t.Name() == "Duration", t.Name() == "expr", t.Name() == "matchYAML",
		t.Name() == "thresholdsYAML" && prefix != "thresholds":
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
		out = append(out, policyKeys(t.Field(i).Type, key)...)
	}
	return out
}

// TestReferenceCoversPolicy: every key policy.yaml may hold is in the
// configuration reference.
func TestReferenceCoversPolicy(t *testing.T) {
	doc, err := os.ReadFile("../../docs/CONFIGURATION.md")
	if err != nil {
		t.Fatal(err)
	}
	keys := policyKeys(reflect.TypeOf(fileYAML{}), "")
	if len(keys) < 25 {
		t.Fatalf("only %d keys found: the walk is broken: %v", len(keys), keys)
	}
	for _, k := range keys {
		if !strings.Contains(string(doc), "`"+k+"`") {
			t.Errorf("docs/CONFIGURATION.md does not describe policy key %s", k)
		}
	}
}
