// Package builtin lists the discovery plugins that ship with NHI Radar. Each
// lives in its own folder with its README, tests and test data.
package builtin

import (
	"github.com/nhiradar/nhiradar/plugins/builtin/accounts"
	"github.com/nhiradar/nhiradar/plugins/builtin/authlog"
	"github.com/nhiradar/nhiradar/plugins/builtin/content"
	"github.com/nhiradar/nhiradar/plugins/builtin/credfiles"
	"github.com/nhiradar/nhiradar/plugins/builtin/kubernetes"
	"github.com/nhiradar/nhiradar/plugins/builtin/processes"
	"github.com/nhiradar/nhiradar/plugins/builtin/sshkeys"
	"github.com/nhiradar/nhiradar/plugins/sdk"
)

// All returns a new instance of every built-in plugin, in the order
// `nhi-agent scan` runs their executables: the structured parsers first,
// then the content rules, which skip the files a structured parser owns.
// Tests and benchmarks run them in process through it.
func All() []sdk.Plugin {
	return append([]sdk.Plugin{credfiles.Plugin{}}, append(Host(), Content())...)
}

// Content returns the content plugin, skipping the files that a structured
// plugin parses (credfiles' formats, Kubernetes token mounts) so that one
// secret is reported once, by the better parser.
func Content() *content.Plugin {
	return &content.Plugin{SkipFile: func(p string) bool { return credfiles.Handles(p) || kubernetes.Handles(p) }}
}

// Host returns the host-discovery plugins: running processes, OS service
// accounts, SSH keys, Kubernetes tokens and auth-log usage evidence.
func Host() []sdk.Plugin {
	return []sdk.Plugin{processes.Plugin{}, accounts.Plugin{}, sshkeys.Plugin{}, kubernetes.Plugin{}, authlog.Plugin{}}
}
