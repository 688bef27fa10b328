package devservices

import (
	"os/exec"
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
	Integration(t, "Chromium")
	chromiumOnce.Do(func() {
		if p, err := exec.LookPath("chromium"); err == nil {
			chromiumPath = p
			return
		}
		out, err := exec.Command("bash", Script(), "install-chromium").CombinedOutput()
		chromiumLogs = string(out)
		if err != nil {
			chromiumErr = err
			return
		}
		chromiumPath, chromiumErr = exec.LookPath("chromium")
	})
	if chromiumErr != nil {
		t.Fatalf("installing chromium: %v\n%s", chromiumErr, chromiumLogs)
	}
	return chromiumPath
}
