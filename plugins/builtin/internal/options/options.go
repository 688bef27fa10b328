// Package options checks a plugin's options from the agent configuration:
// an unknown key is an error rather than a setting silently ignored.
package options

import (
	"fmt"
	"sort"
	"strings"
)

// Check returns an error naming every key of opts that allowed lacks.
func Check(plugin string, opts map[string]string, allowed ...string) error {
	ok := map[string]bool{}
	for _, a := range allowed {
		ok[a] = true
	}
	var unknown []string
	for k := range opts {
		if !ok[k] {
			unknown = append(unknown, fmt.Sprintf("%q", k))
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	known := "none"
	if len(allowed) > 0 {
		known = strings.Join(allowed, ", ")
	}
	return fmt.Errorf("%s: unknown option %s (known: %s)", plugin, strings.Join(unknown, ", "), known)
}
