// Command nhi-plugin-authlog serves the authlog discovery plugin to an nhi-agent
// over go-plugin's gRPC protocol.
package main

import (
	"github.com/nhiradar/nhiradar/plugins/builtin/authlog"
	"github.com/nhiradar/nhiradar/plugins/sdk"
)

func main() { sdk.Serve(authlog.Plugin{}) }
