// Command nhi-plugin-content serves the content discovery plugin (secrets in
// any file, gitleaks rules) to an nhi-agent over go-plugin's gRPC protocol.
package main

import (
	"os"
	"runtime/debug"

	"github.com/nhiradar/nhiradar/internal/buildinfo"
	"github.com/nhiradar/nhiradar/plugins/builtin"
	"github.com/nhiradar/nhiradar/plugins/sdk"
)

func main() {
	buildinfo.ExitOnFlag("nhi-plugin-content")
	// The scanner's live heap is about 25 MB (rules, keyword automaton,
	// per-reader buffers); a soft limit keeps the process under 64 MB RSS.
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(40 << 20)
	}
	sdk.Serve(builtin.Content())
}
