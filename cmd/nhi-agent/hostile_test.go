package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nhiradar/nhiradar/internal/hostilehost"
)

// Bounds a scan of a hostile tree must stay within.
const (
	hostileScanTimeout = 90 * time.Second
	hostileMaxRSS      = 400 << 20 // the agent and every plugin process, each
)

// TestHostileHosts scans every tree of the hostile corpus with the shipped
// plugins out of process, as `nhi-agent scan` runs on a host: each scan
// ends in bounded time and memory and exits 0, the legitimate identities
// planted beside the hostile files are still found, every hostile file the
// corpus expects is named (in the log and in scan_completed's unreadable)
// and nothing of the hostile content is ever printed.
func TestHostileHosts(t *testing.T) {
	b := build(t)
	trees, err := hostilehost.Plant(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, tree := range trees {
		t.Run(tree.Name, func(t *testing.T) {
			out, logs, rss, took := hostileScan(t, b, tree)
			t.Logf("%s: %s, peak RSS %d MiB", tree.Name, took.Round(time.Millisecond), rss>>20)
			if rss > hostileMaxRSS {
				t.Errorf("peak RSS %d MiB, over %d MiB", rss>>20, hostileMaxRSS>>20)
			}
			found, unreadable := readScan(t, out)
			for _, p := range tree.Found {
				if !found[p] {
					t.Errorf("legitimate identity %s not reported beside the hostile files", p)
				}
			}
			for _, p := range tree.Warned {
				if !unreadable[p] {
					t.Errorf("%s not named in scan_completed.unreadable (got %v)", p, keys(unreadable))
				}
				if !strings.Contains(logs, `"path":"`+p+`"`) {
					t.Errorf("%s not named in a warning", p)
				}
			}
			if strings.Contains(out+logs, hostilehost.Marker) {
				t.Error("hostile content appears in the scan's output or log")
			}
		})
	}
}

// hostileScan runs one scan and returns its output, its log, the peak RSS
// of the agent and its plugins, and how long it took.
func hostileScan(t *testing.T, b binaries, tree hostilehost.Tree) (string, string, int64, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), hostileScanTimeout)
	defer cancel()
	rssFile := filepath.Join(t.TempDir(), "rss")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, self, b.agent, "scan", "--root", tree.Dir, "--output", "jsonl", "--host", "hostile-"+tree.Name)
	cmd.Env = append(os.Environ(), "NHI_FINGERPRINT_KEY=hostile-test-key-0001", "NHI_LOG_FORMAT=json",
		rusageEnv+"="+rssFile)
	if tree.Unprivileged {
		openToAll(t, filepath.Dir(b.agent))
		// go-plugin's sockets go to TMPDIR, which the account must be able to write.
		tmp := t.TempDir()
		openToAll(t, tmp)
		if err := os.Chmod(tmp, 0o1777); err != nil {
			t.Fatal(err)
		}
		cmd.Env = append(cmd.Env, rusageUIDEnv+"=65534", "HOME=/nonexistent", "TMPDIR="+tmp)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err = cmd.Run()
	took := time.Since(start)
	if ctx.Err() != nil {
		t.Fatalf("scan still running after %s\n%s", hostileScanTimeout, tail(stderr.String()))
	}
	if err != nil {
		t.Fatalf("scan failed: %v\n%s", err, tail(stderr.String()))
	}
	raw, err := os.ReadFile(rssFile)
	if err != nil {
		t.Fatal(err)
	}
	rss, err := strconv.ParseInt(strings.TrimSpace(string(raw)), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return stdout.String(), stderr.String(), rss, took
}

// The test binary doubles as a small parent that runs a scan and writes
// its peak RSS: Linux counts a parent's memory at fork in the child's
// maximum, so a scan started straight from this (large) test process
// would report the test's size, not the scan's.
const (
	rusageEnv    = "NHI_TEST_RUSAGE_FILE"
	rusageUIDEnv = "NHI_TEST_RUSAGE_UID"
)

func TestMain(m *testing.M) {
	if out := os.Getenv(rusageEnv); out != "" {
		os.Exit(runMeasured(out, os.Args[1:]))
	}
	os.Exit(m.Run())
}

// runMeasured runs args, waits, and writes the peak RSS in bytes of the
// process and every descendant it waited for (Linux folds those in).
func runMeasured(out string, args []string) int {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if uid, err := strconv.Atoi(os.Getenv(rusageUIDEnv)); err == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid)}}
	}
	err := cmd.Run()
	if cmd.ProcessState == nil {
		fmt.Fprintln(os.Stderr, "measured command did not start:", err)
		return 1
	}
	rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10
	if werr := os.WriteFile(out, []byte(strconv.FormatInt(rss, 10)), 0o644); werr != nil {
		fmt.Fprintln(os.Stderr, werr)
		return 1
	}
	return cmd.ProcessState.ExitCode()
}

func readScan(t *testing.T, out string) (found, unreadable map[string]bool) {
	found, unreadable = map[string]bool{}, map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var e struct {
			Type, Principal string
			Scan            *struct{ Unreadable []string }
		}
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("output line is not an event: %v", err)
		}
		found[e.Principal] = true
		if e.Scan != nil {
			for _, p := range e.Scan.Unreadable {
				unreadable[p] = true
			}
		}
	}
	return found, unreadable
}

// openToAll lets an unprivileged account run the built binaries.
func openToAll(t *testing.T, dir string) {
	for d := dir; d != "/" && d != "."; d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if d == os.TempDir() {
			break
		}
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func tail(s string) string {
	if len(s) > 4000 {
		return "…" + s[len(s)-4000:]
	}
	return s
}
