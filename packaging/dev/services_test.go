// Package dev tests the development services script itself.
package dev

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/nhiradar/nhiradar/internal/devservices"
)

// TestPrivateInstanceLifecycle: up starts both services on the given ports,
// a second up is a no-op, down stops only what up started.
func TestPrivateInstanceLifecycle(t *testing.T) {
	in := devservices.Private(t)
	conn, err := kafka.Dial("tcp", in.KafkaBroker)
	if err != nil {
		t.Fatalf("private broker: %v", err)
	}
	conn.Close()
	in.Do(t, "up") // idempotent
	// The broker's pid file lost: up finds the broker by its command line
	// and starts no second one.
	kafkaRun := filepath.Join(in.Home, "run", "kafka")
	pidFile := filepath.Join(kafkaRun, "kafka.pid")
	pid := readPid(t, pidFile)
	must(t, os.Remove(pidFile))
	in.Do(t, "up")
	if got := processesWith(t, "kafka.Kafka "+filepath.Join(kafkaRun, "server.properties")); len(got) != 1 || got[0] != pid || readPid(t, pidFile) != pid {
		t.Fatalf("up with the broker's pid file lost: brokers %v, pid file %d; want only %d", got, readPid(t, pidFile), pid)
	}
	in.Do(t, "down-kafka")
	if c, err := net.DialTimeout("tcp", in.KafkaBroker, time.Second); err == nil {
		c.Close()
		t.Fatal("broker still answers after down-kafka")
	}
	host, port, _ := strings.Cut(in.ClickHouseAddr, ":")
	if out, err := exec.Command("clickhouse-client", "--host", host, "--port", port, "-q", "SELECT 1").CombinedOutput(); err != nil {
		t.Fatalf("down-kafka must leave ClickHouse running: %v %s", err, out)
	}
	in.Do(t, "up-kafka")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	w := &kafka.Writer{Addr: kafka.TCP(in.KafkaBroker), Topic: "restarted", AllowAutoTopicCreation: true, RequiredAcks: kafka.RequireAll}
	defer w.Close()
	var werr error
	for ctx.Err() == nil {
		if werr = w.WriteMessages(ctx, kafka.Message{Value: []byte("x")}); werr == nil {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if werr != nil {
		t.Fatalf("produce after restart: %v", werr)
	}
}

// TestTakenPortIsAClearError: a port held by another process is reported by
// name, quickly, instead of hanging.
func TestTakenPortIsAClearError(t *testing.T) {
	devservices.Up(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	cmd := exec.Command("bash", devservices.Script(), "up-kafka")
	cmd.Env = append(os.Environ(), "NHI_SERVICES_HOME="+t.TempDir(), "NHI_KAFKA_PORT="+port)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatal("up-kafka succeeded on a taken port")
	}
	if !strings.Contains(string(out), "port "+port+" is already taken") {
		t.Fatalf("unclear message: %s", out)
	}
	if time.Since(start) > 10*time.Second {
		t.Fatalf("took %s to report a taken port", time.Since(start))
	}
}
