package dev

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nhiradar/nhiradar/internal/devservices"
)

// TestClickHouseLostPidFileAndStall: the script recognises its own server
// by its command line when the pid file is lost, stale or names a stranger,
// and waits for a server that stalls (SIGSTOP, as under memory pressure)
// instead of starting a second one; status and down find it too.
func TestClickHouseLostPidFileAndStall(t *testing.T) {
	in := devservices.PrivateWith(t, devservices.Options{ClickHouseOnly: true})
	run := filepath.Join(in.Home, "run", "clickhouse")
	pidFile, id := filepath.Join(run, "clickhouse.pid"), "--config-file="+filepath.Join(run, "config.xml")
	pid := readPid(t, pidFile)
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGCONT) }) // before down, should the test stop midway
	onlyServer := func(step string) {
		t.Helper()
		if got := processesWith(t, id); len(got) != 1 || got[0] != pid {
			t.Fatalf("%s: servers of this directory %v, want only pid %d", step, got, pid)
		}
		if got := readPid(t, pidFile); got != pid {
			t.Fatalf("%s: pid file says %d, want the live server %d", step, got, pid)
		}
	}

	must(t, os.Remove(pidFile))
	in.Do(t, "up-clickhouse")
	onlyServer("up with the pid file lost")

	dead := exec.Command("true")
	must(t, dead.Run())
	writePid(t, pidFile, dead.Process.Pid)
	in.Do(t, "up-clickhouse")
	onlyServer("up with the pid file naming a dead process")

	must(t, os.Remove(pidFile))
	must(t, syscall.Kill(pid, syscall.SIGSTOP))
	stall := 3 * time.Second
	go func() { time.Sleep(stall); _ = syscall.Kill(pid, syscall.SIGCONT) }()
	start := time.Now()
	if out, err := in.Run("up-clickhouse"); err != nil {
		t.Fatalf("up while the server stalls: %v", err)
	} else if time.Since(start) < stall-500*time.Millisecond || !strings.Contains(out, "already running") {
		t.Fatalf("up returned after %s, before the stalled server answered:\n%s", time.Since(start), out)
	}
	onlyServer("up while the server stalls")

	must(t, os.Remove(pidFile))
	if out, err := in.Run("status-clickhouse"); err != nil || !strings.Contains(out, "running pid "+strconv.Itoa(pid)) {
		t.Fatalf("status with the pid file lost: %v\n%s", err, out)
	}

	stranger := exec.Command("sleep", "60")
	must(t, stranger.Start())
	defer func() { _ = stranger.Process.Kill(); _ = stranger.Wait() }()
	writePid(t, pidFile, stranger.Process.Pid)
	in.Do(t, "down-clickhouse")
	if got := processesWith(t, id); len(got) != 0 {
		t.Fatalf("down with the pid file naming a stranger left servers %v", got)
	}
	if err := stranger.Process.Signal(syscall.Signal(0)); err != nil {
		t.Fatalf("down killed the stranger the pid file named: %v", err)
	}
	if out, err := in.Run("status-clickhouse"); err == nil || !strings.Contains(out, "clickhouse: stopped") {
		t.Fatalf("status after down: %v\n%s", err, out)
	}
}

// processesWith lists the live processes whose command line holds text.
func processesWith(t *testing.T, text string) []int {
	t.Helper()
	dirs, err := filepath.Glob("/proc/[0-9]*")
	must(t, err)
	var out []int
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "cmdline"))
		if err != nil || !strings.Contains(strings.ReplaceAll(string(b), "\x00", " "), text) {
			continue
		}
		if pid, err := strconv.Atoi(filepath.Base(d)); err == nil && pid != os.Getpid() {
			out = append(out, pid)
		}
	}
	return out
}

func readPid(t *testing.T, file string) int {
	t.Helper()
	b, err := os.ReadFile(file)
	must(t, err)
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	must(t, err)
	return pid
}

func writePid(t *testing.T, file string, pid int) {
	t.Helper()
	must(t, os.WriteFile(file, []byte(strconv.Itoa(pid)+"\n"), 0o644))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
