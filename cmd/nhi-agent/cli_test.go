package main

import (
	"testing"

	"github.com/alecthomas/kong"
)

// A DaemonSet passes the host's mount point on the command line, beside a
// configuration shared by every node.
func TestRunRootFlag(t *testing.T) {
	var c cli
	p, err := kong.New(&c, options()...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Parse([]string{"run", "--config", "/etc/nhi-agent/agent.yaml", "--root", "/host"}); err != nil {
		t.Fatal(err)
	}
	if c.Run.Root != "/host" || c.Run.Config != "/etc/nhi-agent/agent.yaml" {
		t.Fatalf("run flags: root %q, config %q", c.Run.Root, c.Run.Config)
	}
}
