package main

import (
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nhiradar/nhiradar/internal/testlog"
)

// TestHealthzBeforeServices: with ClickHouse unreachable the collector waits
// instead of exiting; /healthz answers from the start and /readyz says it is
// starting.
func TestHealthzBeforeServices(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close() // nothing listens here now
	listen := "127.0.0.1:" + strconv.Itoa(freePort(t))
	cmd := exec.Command(collectorBinary(t), "run", "--listen", listen, "--clickhouse", closed, "--brokers", closed)
	cmd.Env = append(os.Environ(), "NHI_LOG_LEVEL=info")
	logs := &testlog.Buffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() { _ = cmd.Process.Kill(); <-done }()
	p := &proc{listen: listen}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if code, _ := p.get("/healthz"); code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/healthz never answered:\n%s", logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	code, body := p.get("/readyz")
	if code != 503 || !strings.Contains(body, "starting") {
		t.Fatalf("/readyz before ClickHouse = %d %q", code, body)
	}
	time.Sleep(1500 * time.Millisecond) // past the first retry
	select {
	case err := <-done:
		done <- err
		t.Fatalf("collector exited while ClickHouse was unreachable: %v\n%s", err, logs.String())
	default:
	}
	if !strings.Contains(logs.String(), "waiting for clickhouse") {
		t.Fatalf("no retry logged:\n%s", logs.String())
	}
}
