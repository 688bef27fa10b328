package devservices

import (
	"os/exec"
	"strings"
	"sync"
	"testing"
)

var (
	chromiumOnce sync.Once
	chromiumPath string
	chromiumErr  error
	chromiumLogs string
)

// Chromium returns the path of Debian's chromium for headless rendering,
// installing it through services.sh install-chromium when it is missing. A
// browser that cannot be installed fails the test; it is never a reason to
// skip.
func Chromium(t testing.TB) string {
	t.Helper()
	chromiumOnce.Do(func() {
		if p, err := exec.LookPath("chromium"); err == nil {
			chromiumPath = p
			return
		}
		out, err := exec.Command("bash", Script(), "install-chromium").CombinedOutput()
		chromiumErr, chromiumLogs = err, string(out)
		if err == nil {
			// The script prints the installed path last.
			lines := strings.Split(strings.TrimSpace(chromiumLogs), "\n")
			chromiumPath = lines[len(lines)-1]
		}
	})
	if chromiumErr != nil {
		t.Fatalf("installing chromium: %v\n%s", chromiumErr, chromiumLogs)
	}
	return chromiumPath
}
