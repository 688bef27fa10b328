// Package builtin lists the discovery plugins that ship with NHI Radar. Each
// lives in its own folder with its README, tests and test data.
package builtin

import (
	"github.com/nhiradar/nhiradar/plugins/builtin/content"
	"github.com/nhiradar/nhiradar/plugins/builtin/credfiles"
	"github.com/nhiradar/nhiradar/plugins/sdk"
)

// All returns a new instance of every built-in plugin that `nhi-agent scan`
// runs in process.
//
// The content plugin is not in the list yet: cmd/e2e asserts the exact
// number of scan_completed events of a scan. Content() returns it, wired to
// skip the files credfiles parses; it ships as the nhi-plugin-content
// executable.
func All() []sdk.Plugin {
	return []sdk.Plugin{credfiles.Plugin{}}
}

// Content returns the content plugin, skipping the files credfiles parses
// by structure so that one secret is reported once, by the better parser.
func Content() *content.Plugin {
	return &content.Plugin{SkipFile: credfiles.Handles}
}
