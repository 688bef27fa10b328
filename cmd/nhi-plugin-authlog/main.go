// Command nhi-plugin-authlog serves the authlog discovery plugin to an nhi-agent
// over go-plugin's gRPC protocol.
package main

import (
	"github.com/nhiradar/nhiradar/internal/buildinfo"
	"github.com/nhiradar/nhiradar/plugins/builtin/authlog"
	"github.com/nhiradar/nhiradar/plugins/sdk"
)

func main() {
	buildinfo.ExitOnFlag("nhi-plugin-authlog")
	sdk.Serve(authlog.Plugin{})
}
