// Package builtin lists the discovery plugins that ship with NHI Radar. Each
// lives in its own folder with its README, tests and test data.
package builtin

import (
	"github.com/nhiradar/nhiradar/plugins/builtin/credfiles"
	"github.com/nhiradar/nhiradar/plugins/sdk"
)

// All returns a new instance of every built-in plugin.
func All() []sdk.Plugin {
	return []sdk.Plugin{credfiles.Plugin{}}
}
