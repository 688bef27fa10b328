// Package devservices gives integration tests the real Kafka broker and
// ClickHouse server: it starts them through packaging/dev/services.sh when
// they are not running, and hands out names (databases, topics) unique to
// each test so that tests never see each other's data.
package devservices

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	once   sync.Once
	upErr  error
	upLogs string
)

// OfflineEnv, set to 1, forbids starting or contacting a service: a test
// that reaches one fails instead, and services.sh refuses to start one. make
// test-unit sets it to prove that -short needs no service.
const OfflineEnv = "NHI_SERVICES_OFFLINE"

// Integration marks a test that needs a service (needs names it): under
// -short it skips, so make test-unit starts and contacts nothing. Every
// function here that hands out a service calls it first.
func Integration(t testing.TB, needs string) {
	t.Helper()
	gate(t, testing.Short(), os.Getenv(OfflineEnv) == "1", needs)
}

// gate is Integration with its inputs explicit, for its test.
func gate(t testing.TB, short, offline bool, needs string) {
	t.Helper()
	if short {
		t.Skipf("integration test: needs %s; run make test", needs)
		return
	}
	if offline {
		t.Fatalf("integration test: needs %s, but %s=1 forbids services (run it with make test)", needs, OfflineEnv)
	}
}

// KafkaBroker returns the broker address, starting the services if needed.
func KafkaBroker(t testing.TB) string {
	t.Helper()
	Integration(t, "Kafka")
	up(t)
	return kafkaAddr()
}

func kafkaAddr() string {
	return envOr("NHI_KAFKA_BROKERS", "127.0.0.1:"+envOr("NHI_KAFKA_PORT", "19092"))
}

func clickHouseAddr() string {
	return envOr("NHI_CLICKHOUSE_ADDR", "127.0.0.1:"+envOr("NHI_CLICKHOUSE_PORT", "19000"))
}

// ClickHouseAddr returns the ClickHouse native address, starting the
// services if needed.
func ClickHouseAddr(t testing.TB) string {
	t.Helper()
	Integration(t, "ClickHouse")
	up(t)
	return clickHouseAddr()
}

// Up starts Kafka and ClickHouse unless both already answer. A failure to
// start them fails the test: a missing service is never a reason to skip
// (only -short is, through Integration).
func Up(t testing.TB) {
	t.Helper()
	Integration(t, "Kafka and ClickHouse")
	up(t)
}

func up(t testing.TB) {
	t.Helper()
	once.Do(func() {
		if reachable(kafkaAddr()) && reachable(clickHouseAddr()) {
			return
		}
		cmd := exec.Command("bash", Script(), "up")
		out, err := cmd.CombinedOutput()
		upErr, upLogs = err, string(out)
	})
	if upErr != nil {
		t.Fatalf("starting dev services: %v\n%s", upErr, upLogs)
	}
}

// Script returns the path of packaging/dev/services.sh.
func Script() string {
	return filepath.Join(RepoRoot(), "packaging", "dev", "services.sh")
}

// RepoRoot returns the repository's top directory.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// Service runs `services.sh CMD` (for fault tests: down-kafka, up-kafka, …).
func Service(t testing.TB, cmd string) {
	t.Helper()
	Integration(t, "the dev services (services.sh "+cmd+")")
	out, err := exec.Command("bash", Script(), cmd).CombinedOutput()
	if err != nil {
		t.Fatalf("services.sh %s: %v\n%s", cmd, err, out)
	}
}

// UniqueName returns prefix followed by a random suffix, valid as a
// ClickHouse database and a Kafka topic name.
func UniqueName(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return prefix + "_" + hex.EncodeToString(b[:])
}

// WaitFor polls cond every 100ms until it returns true or timeout passes.
func WaitFor(ctx context.Context, timeout time.Duration, cond func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		ok, err := cond()
		if ok {
			return nil
		}
		last = err
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("condition not met after %s (last error: %v)", timeout, last)
}

func reachable(addr string) bool {
	addr = strings.Split(addr, ",")[0]
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
