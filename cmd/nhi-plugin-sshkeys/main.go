// Command nhi-plugin-sshkeys serves the sshkeys discovery plugin to an nhi-agent
// over go-plugin's gRPC protocol.
package main

import (
	"github.com/nhiradar/nhiradar/plugins/builtin/sshkeys"
	"github.com/nhiradar/nhiradar/plugins/sdk"
)

func main() { sdk.Serve(sshkeys.Plugin{}) }
