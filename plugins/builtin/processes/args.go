package processes

import "strings"

// ScanArgs finds secrets in a command line: --name=value and --name value
// pairs whose name says secret, NAME=value assignments (as passed to env),
// URLs with a password, and values in a known token format.
func ScanArgs(args []string) []Match {
	var out []Match
	for i := 1; i < len(args); i++ {
		a := args[i]
		switch {
		case strings.HasPrefix(a, "-") && strings.Contains(a, "="):
			name, value, _ := strings.Cut(a, "=")
			if m, ok := Classify(name, value, nil); ok {
				out = append(out, m)
			}
		case strings.HasPrefix(a, "--") && i+1 < len(args) && !strings.HasPrefix(args[i+1], "-"):
			if m, ok := Classify(a, args[i+1], nil); ok && named(a) {
				out = append(out, m)
				i++
			}
		case !strings.HasPrefix(a, "-") && strings.Contains(a, "=") && !strings.ContainsAny(a[:strings.Index(a, "=")], "/ "):
			name, value, _ := strings.Cut(a, "=")
			if m, ok := Classify(name, value, nil); ok {
				out = append(out, m)
			}
		default:
			if m, ok := Classify("", a, nil); ok {
				m.Key = "argv[" + itoa(i) + "]"
				out = append(out, m)
			}
		}
	}
	return out
}

// named reports whether a flag's name alone says it holds a secret, so
// that "--token X" takes X but "--verbose X" never does.
func named(flag string) bool {
	n := normName(flag)
	return secretName.MatchString(n) && !notSecretName.MatchString(n)
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

func splitComma(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
