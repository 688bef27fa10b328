package devservices

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Instance is a private Kafka broker and ClickHouse server for one test, on
// ports of its own, so that a fault test can stop and start them without
// disturbing tests that run at the same time against the shared services.
type Instance struct {
	KafkaBroker    string
	ClickHouseAddr string
	// Home is the instance's NHI_SERVICES_HOME (run/<service>/ holds the
	// pid files), for tests of the script itself.
	Home string
	env  []string
}

// Options shape a private instance.
type Options struct {
	// KafkaOnly starts the broker alone.
	KafkaOnly bool
	// ClickHouseOnly starts the ClickHouse server alone.
	ClickHouseOnly bool
	// KafkaConfig returns lines added to the broker's server.properties,
	// given its plaintext and controller ports; a key given here replaces
	// the script's (listeners, listener.security.protocol.map, …).
	KafkaConfig func(plaintext, controller int) string
	// KafkaFormatArgs are extra arguments for formatting the broker's
	// storage (e.g. "--add-scram", "SCRAM-SHA-512=[name=u,password=p]").
	KafkaFormatArgs []string
}

// Private starts a private instance of the services; it is stopped and its
// data removed when the test ends. The Kafka jars are shared with the main
// services, so only the first start anywhere downloads them.
func Private(t testing.TB) *Instance { return PrivateWith(t, Options{}) }

// PrivateWith starts a private instance shaped by opts.
func PrivateWith(t testing.TB, opts Options) *Instance {
	t.Helper()
	Integration(t, "a private Kafka and ClickHouse")
	up(t) // installs what is missing, once
	home := t.TempDir()
	ports := freePorts(t, 4)
	cache := os.Getenv("NHI_SERVICES_CACHE")
	if cache == "" {
		cache = defaultHome()
	}
	in := &Instance{
		KafkaBroker:    "127.0.0.1:" + strconv.Itoa(ports[0]),
		ClickHouseAddr: "127.0.0.1:" + strconv.Itoa(ports[2]),
		Home:           home,
		env: append(os.Environ(),
			"NHI_SERVICES_HOME="+home, "NHI_SERVICES_CACHE="+cache,
			"NHI_KAFKA_PORT="+strconv.Itoa(ports[0]), "NHI_KAFKA_CONTROLLER_PORT="+strconv.Itoa(ports[1]),
			"NHI_CLICKHOUSE_PORT="+strconv.Itoa(ports[2]), "NHI_CLICKHOUSE_HTTP_PORT="+strconv.Itoa(ports[3]),
			"NHI_KAFKA_HEAP=256m"),
	}
	if opts.KafkaConfig != nil {
		extra := filepath.Join(home, "kafka-extra.properties")
		if err := os.WriteFile(extra, []byte(opts.KafkaConfig(ports[0], ports[1])), 0o600); err != nil {
			t.Fatal(err)
		}
		in.env = append(in.env, "NHI_KAFKA_EXTRA_CONFIG="+extra)
	}
	if len(opts.KafkaFormatArgs) > 0 {
		in.env = append(in.env, "NHI_KAFKA_FORMAT_ARGS="+strings.Join(opts.KafkaFormatArgs, "\n"))
	}
	t.Cleanup(func() { _ = in.run("down") })
	switch {
	case opts.KafkaOnly:
		in.ClickHouseAddr = ""
		in.Do(t, "up-kafka")
	case opts.ClickHouseOnly:
		in.KafkaBroker = ""
		in.Do(t, "up-clickhouse")
	default:
		in.Do(t, "up")
	}
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

// Run runs `services.sh CMD` for this instance and returns what it printed;
// the error, if any, carries the output too.
func (in *Instance) Run(cmd string) (string, error) {
	c := exec.Command("bash", Script(), cmd)
	c.Env = in.env
	out, err := c.CombinedOutput()
	if err != nil {
		return string(out), &scriptError{cmd: cmd, err: err, out: string(out)}
	}
	return string(out), nil
}

func (in *Instance) run(cmd string) error {
	_, err := in.Run(cmd)
	return err
}

type scriptError struct {
	cmd, out string
	err      error
}

func (e *scriptError) Error() string { return e.err.Error() + "\n" + e.out }

// FreePorts returns n TCP ports free on 127.0.0.1 at the time of the call.
func FreePorts(t testing.TB, n int) []int { return freePorts(t, n) }

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
