// Command nhi-plugin-credfiles serves the credfiles discovery plugin to an
// nhi-agent over go-plugin's gRPC protocol.
package main

import (
	"github.com/nhiradar/nhiradar/plugins/builtin/credfiles"
	"github.com/nhiradar/nhiradar/plugins/sdk"
)

func main() { sdk.Serve(credfiles.Plugin{}) }
