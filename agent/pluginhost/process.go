package pluginhost

import (
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
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
	oom    *oomWatch
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
		cmd.Env = memoryEnv(cmd.Env, p.spec.MemoryLimit)
	}
	ownGroup(cmd)
	dieWithAgent(cmd)
	oom := &oomWatch{}
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  sdk.Handshake,
		Plugins:          sdk.PluginSet(nil),
		Cmd:              cmd,
		SecureConfig:     &plugin.SecureConfig{Checksum: sum, Hash: sha256.New()},
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           newHCLog(p.log, p.spec.Name),
		StartTimeout:     orDuration(p.opts.StartTimeout, 10*time.Second),
		AutoMTLS:         true,
		Stderr:           oom,
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
	pr := &process{client: client, impl: impl, oom: oom}
	if rc := client.ReattachConfig(); rc != nil {
		pr.pid = rc.Pid
	}
	if err := p.applyLimit(pr); err != nil {
		pr.kill()
		return nil, err
	}
	pr.info = impl.Info()
	return pr, nil
}

// applyLimit puts the process under its memory limit. It can only be set once
// the process runs, after go-plugin's handshake, but before it is asked
// for anything; a plugin whose limit cannot be set is not run, so that
// the limit holds for every scan.
func (p *Plugin) applyLimit(pr *process) error {
	if p.spec.MemoryLimit <= 0 {
		return nil
	}
	if pr.pid <= 0 {
		return fmt.Errorf("limit %s: no process id to set its memory limit on", p.spec.Path)
	}
	if err := limitMemory(pr.pid, p.spec.MemoryLimit); err != nil {
		return fmt.Errorf("limit %s (pid %d) to %d bytes: %w", p.spec.Path, pr.pid, p.spec.MemoryLimit, err)
	}
	return nil
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
