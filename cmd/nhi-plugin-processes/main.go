// Command nhi-plugin-processes serves the processes discovery plugin to an nhi-agent
// over go-plugin's gRPC protocol.
package main

import (
	"github.com/nhiradar/nhiradar/internal/buildinfo"
	"github.com/nhiradar/nhiradar/plugins/builtin/processes"
	"github.com/nhiradar/nhiradar/plugins/sdk"
)

func main() {
	buildinfo.ExitOnFlag("nhi-plugin-processes")
	sdk.Serve(processes.Plugin{})
}
