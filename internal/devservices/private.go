package devservices

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// Instance is a private Kafka broker and ClickHouse server for one test, on
// ports of its own, so that a fault test can stop and start them without
// disturbing tests that run at the same time against the shared services.
type Instance struct {
	KafkaBroker    string
	ClickHouseAddr string
	env            []string
}

// Private starts a private instance of the services; it is stopped and its
// data removed when the test ends. The Kafka jars are shared with the main
// services, so only the first start anywhere downloads them.
func Private(t testing.TB) *Instance {
	t.Helper()
	Up(t) // installs what is missing, once
	home := t.TempDir()
	ports := freePorts(t, 4)
	cache := os.Getenv("NHI_SERVICES_CACHE")
	if cache == "" {
		cache = defaultHome()
	}
	in := &Instance{
		KafkaBroker:    "127.0.0.1:" + strconv.Itoa(ports[0]),
		ClickHouseAddr: "127.0.0.1:" + strconv.Itoa(ports[2]),
		env: append(os.Environ(),
			"NHI_SERVICES_HOME="+home, "NHI_SERVICES_CACHE="+cache,
			"NHI_KAFKA_PORT="+strconv.Itoa(ports[0]), "NHI_KAFKA_CONTROLLER_PORT="+strconv.Itoa(ports[1]),
			"NHI_CLICKHOUSE_PORT="+strconv.Itoa(ports[2]), "NHI_CLICKHOUSE_HTTP_PORT="+strconv.Itoa(ports[3]),
			"NHI_KAFKA_HEAP=256m"),
	}
	t.Cleanup(func() { _ = in.run("down") })
	in.Do(t, "up")
	return in
}

// Do runs `services.sh CMD` for this instance: up, down, up-kafka,
// down-kafka, up-clickhouse, down-clickhouse.
func (in *Instance) Do(t testing.TB, cmd string) {
	t.Helper()
	if err := in.run(cmd); err != nil {
		t.Fatalf("services.sh %s (private instance): %v", cmd, err)
	}
}

func (in *Instance) run(cmd string) error {
	c := exec.Command("bash", Script(), cmd)
	c.Env = in.env
	out, err := c.CombinedOutput()
	if err != nil {
		return &scriptError{cmd: cmd, err: err, out: string(out)}
	}
	return nil
}

type scriptError struct {
	cmd, out string
	err      error
}

func (e *scriptError) Error() string { return e.err.Error() + "\n" + e.out }

func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var ls []net.Listener
	var ports []int
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

func defaultHome() string {
	if v := os.Getenv("NHI_SERVICES_HOME"); v != "" {
		return v
	}
	if v := os.Getenv("XDG_CACHE_HOME"); v != "" {
		return filepath.Join(v, "nhiradar")
	}
	h, _ := os.UserHomeDir()
	return filepath.Join(h, ".cache", "nhiradar")
}
