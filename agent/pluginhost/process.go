package pluginhost

import (
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"time"

	"github.com/hashicorp/go-plugin"

	"github.com/nhiradar/nhiradar/plugins/sdk"
)

// process is one running plugin executable.
type process struct {
	client *plugin.Client
	impl   sdk.Plugin
	info   sdk.Info
	pid    int
}

// start verifies the executable against its pin and starts it.
func (p *Plugin) start() (*process, error) {
	sum, err := verify(p.spec.Path, p.spec.SHA256)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(p.spec.Path)
	cmd.Env = os.Environ()
	if p.spec.MemoryLimit > 0 {
		// A Go plugin collects garbage harder as it nears the limit, well
		// before the watchdog would kill it.
		cmd.Env = append(cmd.Env, "GOMEMLIMIT="+strconv.FormatInt(p.spec.MemoryLimit*3/4, 10))
	}
	ownGroup(cmd)
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  sdk.Handshake,
		Plugins:          sdk.PluginSet(nil),
		Cmd:              cmd,
		SecureConfig:     &plugin.SecureConfig{Checksum: sum, Hash: sha256.New()},
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           newHCLog(p.log, p.spec.Name),
		StartTimeout:     orDuration(p.opts.StartTimeout, 10*time.Second),
		AutoMTLS:         true,
	})
	rpc, err := client.Client()
	if err != nil {
		client.Kill()
		return nil, fmt.Errorf("start %s: %w", p.spec.Path, err)
	}
	raw, err := rpc.Dispense(sdk.PluginName)
	if err != nil {
		client.Kill()
		return nil, fmt.Errorf("dispense %s: %w", p.spec.Path, err)
	}
	impl, ok := raw.(sdk.Plugin)
	if !ok {
		client.Kill()
		return nil, fmt.Errorf("%s does not serve a discovery plugin", p.spec.Path)
	}
	pr := &process{client: client, impl: impl, info: impl.Info()}
	if rc := client.ReattachConfig(); rc != nil {
		pr.pid = rc.Pid
	}
	return pr, nil
}

// kill ends the process at once: SIGKILL first (a hung or runaway plugin
// gets no grace), then go-plugin's own clean-up.
func (pr *process) kill() {
	if pr.pid > 0 {
		killNow(pr.pid)
	}
	pr.client.Kill()
}

func orDuration(v, def time.Duration) time.Duration {
	if v > 0 {
		return v
	}
	return def
}
