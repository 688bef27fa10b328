// Package builtin lists the discovery plugins that ship with NHI Radar. Each
// lives in its own folder with its README, tests and test data.
package builtin

import (
	"github.com/nhiradar/nhiradar/plugins/builtin/accounts"
	"github.com/nhiradar/nhiradar/plugins/builtin/authlog"
	"github.com/nhiradar/nhiradar/plugins/builtin/credfiles"
	"github.com/nhiradar/nhiradar/plugins/builtin/kubernetes"
	"github.com/nhiradar/nhiradar/plugins/builtin/processes"
	"github.com/nhiradar/nhiradar/plugins/builtin/sshkeys"
	"github.com/nhiradar/nhiradar/plugins/sdk"
)

// All returns a new instance of every built-in plugin that `nhi-agent scan`
// runs.
func All() []sdk.Plugin {
	return []sdk.Plugin{credfiles.Plugin{}}
}

// Host returns the host-discovery plugins: running processes, OS service
// accounts, SSH keys, Kubernetes tokens and auth-log usage evidence. They
// join All() once cmd/e2e's exact event counts (written for credfiles
// alone) are updated for them; until then the planted-host test runs them
// together with All().
func Host() []sdk.Plugin {
	return []sdk.Plugin{processes.Plugin{}, accounts.Plugin{}, sshkeys.Plugin{}, kubernetes.Plugin{}, authlog.Plugin{}}
}
