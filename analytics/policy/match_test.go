package policy

import "testing"

// The shortcut shapes must say what the pattern's regexp says.
func TestGlobShapesAgreeWithTheRegexp(t *testing.T) {
	patterns := []string{"prod-*", "*", "**", "*.pem", "/home/**", "/etc/ssl/key.pem", "a**",
		"prod-?", "/home/*/.ssh/*", "**/id_rsa", "*-web-*", "web*.pem", ""}
	values := []string{"", "prod-", "prod-web-01", "prod-a/b", "key.pem", "/etc/ssl/key.pem", "/etc/ssl/key.pem.bak",
		"dir/key.pem", "/home/alice/.ssh/id_rsa", "/home/", "/home", "a", "abc/d", "prod-1", "stg-web-1", "web1.pem"}
	shaped := 0
	for _, p := range patterns {
		g, err := compileGlob(p)
		if err != nil {
			t.Fatal(err)
		}
		if g == nil {
			continue
		}
		if g.shape != byRegexp {
			shaped++
		}
		for _, v := range values {
			if got, want := g.match(v), g.re.MatchString(v); got != want {
				t.Errorf("glob %q on %q: shortcut %v, regexp %v", p, v, got, want)
			}
		}
	}
	if shaped < 7 {
		t.Errorf("only %d patterns took a shortcut", shaped)
	}
}
