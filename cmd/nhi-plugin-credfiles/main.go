// Command nhi-plugin-credfiles serves the credfiles discovery plugin to an
// nhi-agent over go-plugin's gRPC protocol.
package main

import (
	"github.com/nhiradar/nhiradar/internal/buildinfo"
	"github.com/nhiradar/nhiradar/plugins/builtin/credfiles"
	"github.com/nhiradar/nhiradar/plugins/sdk"
)

func main() {
	buildinfo.ExitOnFlag("nhi-plugin-credfiles")
	sdk.Serve(credfiles.Plugin{})
}
