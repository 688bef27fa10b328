// Command nhi-plugin-accounts serves the accounts discovery plugin to an nhi-agent
// over go-plugin's gRPC protocol.
package main

import (
	"github.com/nhiradar/nhiradar/internal/buildinfo"
	"github.com/nhiradar/nhiradar/plugins/builtin/accounts"
	"github.com/nhiradar/nhiradar/plugins/sdk"
)

func main() {
	buildinfo.ExitOnFlag("nhi-plugin-accounts")
	sdk.Serve(accounts.Plugin{})
}
