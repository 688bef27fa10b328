package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nhiradar/nhiradar/internal/devservices"
)

const (
	testVersion = "v1.2.3"
	testCommit  = "0123456789ab"
	// The AWS key planted in the scanned tree; its secret must never
	// appear in the agent's output.
	testSecret = "9drTJvcXLB89pQ2fEhKd3hR7OlVzqQmB0kZNw4Xa"
	testKey    = "0123456789abcdef0123456789abcdef"
)

// buildBinaries builds every binary as `make build` does, stamped with the
// test's version and commit.
func buildBinaries(t *testing.T) string {
	t.Helper()
	bin := t.TempDir()
	pkgs := []string{"./cmd/nhi-agent", "./cmd/nhi-collector", "./cmd/nhictl"}
	for _, p := range Plugins {
		pkgs = append(pkgs, "./cmd/nhi-plugin-"+p)
	}
	bi := "github.com/nhiradar/nhiradar/internal/buildinfo"
	args := append([]string{"build", "-trimpath", "-ldflags",
		"-s -w -X " + bi + ".Version=" + testVersion + " -X " + bi + ".Commit=" + testCommit, "-o", bin + "/"}, pkgs...)
	cmd := exec.Command("go", args...)
	cmd.Dir = "../.."
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func buildPackages(t *testing.T) map[string]string {
	t.Helper()
	bin := buildBinaries(t)
	checkVersions(t, bin)
	paths, err := Build(options{Bin: bin, Out: t.TempDir(), Policy: "../policy", Version: testVersion, Arch: "amd64"})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]string{}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil || st.Size() < 1<<20 {
			t.Fatalf("package %s: %v (size %d)", p, err, st.Size())
		}
		name := filepath.Base(p)
		kind := "agent"
		if strings.HasPrefix(name, "nhi-collector") {
			kind = "collector"
		}
		byName[kind+filepath.Ext(p)] = p
	}
	if len(byName) != 4 {
		t.Fatalf("packages: %v, want agent and collector as .deb and .rpm", paths)
	}
	return byName
}

func run(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s\n%s", name, strings.Join(args, " "), err, out, stderr.Bytes())
	}
	return string(out)
}

// dpkg runs dpkg, waiting while another installer (an apt-get of a
// parallel test package) holds the dpkg lock: dpkg itself fails at once.
func dpkg(t *testing.T, args ...string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Minute)
	for {
		out, err := exec.Command("dpkg", args...).CombinedOutput()
		if err == nil {
			return
		}
		if !bytes.Contains(out, []byte("lock")) || time.Now().After(deadline) {
			t.Fatalf("dpkg %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		time.Sleep(2 * time.Second)
	}
}

// packageTools installs rpm and systemd-analyze through the project's
// script when they are missing: a fresh machine has neither, and a missing
// tool fails the test rather than skipping a check.
func packageTools(t *testing.T) {
	_, rpmErr := exec.LookPath("rpm")
	_, sdErr := exec.LookPath("systemd-analyze")
	if rpmErr == nil && sdErr == nil {
		return
	}
	if out, err := exec.Command("bash", devservices.Script(), "install-package-tools").CombinedOutput(); err != nil {
		t.Fatalf("installing rpm and systemd-analyze: %v\n%s", err, out)
	}
}

func TestPackageVersion(t *testing.T) {
	for in, want := range map[string]string{
		"v1.2.3": "1.2.3", "v1.2.3-4-gabcdef0": "1.2.3+4.gabcdef0", "9d2f3a4-dirty": "0.0.0~git9d2f3a4.dirty",
	} {
		if got := PackageVersion(in); got != want {
			t.Errorf("PackageVersion(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestPackages builds the packages, installs the agent's .deb on this
// machine, runs the installed agent, removes and purges it; and checks what
// the .rpm and the collector's .deb hold.
func TestPackages(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("installing the .deb needs root (dpkg -i); run this test as root")
	}
	packageTools(t)
	pkgs := buildPackages(t)
	t.Run("collector deb", func(t *testing.T) { checkCollectorDeb(t, pkgs["collector.deb"]) })
	t.Run("rpm", func(t *testing.T) { checkRPMs(t, pkgs["agent.rpm"], pkgs["collector.rpm"]) })
	t.Run("agent deb installed", func(t *testing.T) { checkAgentDeb(t, pkgs["agent.deb"]) })
	t.Run("collector deb installed", func(t *testing.T) { checkCollectorInstall(t, pkgs["collector.deb"]) })
}

// checkVersions runs --version of every binary: each must carry the
// version and commit the build stamped.
func checkVersions(t *testing.T, bin string) {
	names := []string{"nhi-agent", "nhi-collector", "nhictl"}
	for _, p := range Plugins {
		names = append(names, "nhi-plugin-"+p)
	}
	for _, n := range names {
		want := n + " " + testVersion + " (commit " + testCommit + ")"
		if out := run(t, nil, filepath.Join(bin, n), "--version"); strings.TrimSpace(out) != want {
			t.Errorf("%s --version: %q, want %q", n, out, want)
		}
	}
}

func checkCollectorDeb(t *testing.T, deb string) {
	list := run(t, nil, "dpkg-deb", "-c", deb)
	for _, want := range []string{"./usr/bin/nhi-collector", "./usr/bin/nhictl", "./etc/nhi-collector/policy.yaml",
		"./etc/nhi-collector/owners.csv", "./etc/nhi-collector/collector.yaml", "./lib/systemd/system/nhi-collector.service"} {
		if !strings.Contains(list, want+"\n") {
			t.Errorf("collector .deb lacks %s:\n%s", want, list)
		}
	}
	conffiles := run(t, nil, "dpkg-deb", "-I", deb, "conffiles")
	for _, want := range []string{"/etc/nhi-collector/policy.yaml", "/etc/nhi-collector/owners.csv", "/etc/nhi-collector/collector.yaml"} {
		if !strings.Contains(conffiles, want) {
			t.Errorf("collector conffiles lack %s: %q", want, conffiles)
		}
	}
}

func checkRPMs(t *testing.T, agent, collector string) {
	list := run(t, nil, "rpm", "-qlp", agent)
	want := []string{"/usr/bin/nhi-agent", "/etc/nhi-agent/agent.yaml", "/lib/systemd/system/nhi-agent.service"}
	for _, p := range Plugins {
		want = append(want, "/usr/lib/nhi-agent/plugins/nhi-plugin-"+p)
	}
	for _, w := range want {
		if !slices.Contains(strings.Split(list, "\n"), w) {
			t.Errorf("agent .rpm lacks %s:\n%s", w, list)
		}
	}
	if got := strings.TrimSpace(run(t, nil, "rpm", "-qcp", agent)); got != "/etc/nhi-agent/agent.yaml" {
		t.Errorf("agent .rpm config files: %q, want /etc/nhi-agent/agent.yaml", got)
	}
	if s := run(t, nil, "rpm", "-qp", "--scripts", agent); !strings.Contains(s, "useradd --system") {
		t.Errorf("agent .rpm postinstall does not create the user:\n%s", s)
	}
	if got := run(t, nil, "rpm", "-qp", "--queryformat", "%{VERSION}", agent); got != "1.2.3" {
		t.Errorf("agent .rpm version %q, want 1.2.3", got)
	}
	if c := run(t, nil, "rpm", "-qcp", collector); !strings.Contains(c, "/etc/nhi-collector/policy.yaml") {
		t.Errorf("collector .rpm config files lack the policy: %q", c)
	}
}

func checkAgentDeb(t *testing.T, deb string) {
	t.Cleanup(func() { exec.Command("dpkg", "--purge", "nhi-agent").Run() })
	if c := run(t, nil, "dpkg-deb", "-I", deb, "conffiles"); strings.TrimSpace(c) != "/etc/nhi-agent/agent.yaml" {
		t.Errorf("agent conffiles %q, want /etc/nhi-agent/agent.yaml", c)
	}
	dpkg(t, "-i", deb)
	if out := run(t, nil, "/usr/bin/nhi-agent", "--version"); !strings.Contains(out, "1.2.3") || !strings.Contains(out, testCommit) {
		t.Errorf("nhi-agent --version: %q, want version 1.2.3 and commit %s", out, testCommit)
	}
	if out := run(t, nil, "/usr/lib/nhi-agent/plugins/nhi-plugin-content", "--version"); !strings.Contains(out, testCommit) {
		t.Errorf("plugin --version: %q, want commit %s", out, testCommit)
	}
	run(t, nil, "getent", "passwd", "nhi-agent")
	if st, err := os.Stat("/var/lib/nhi-agent"); err != nil {
		t.Errorf("state directory after install: %v", err)
	} else if st.Mode().Perm() != 0o700 {
		t.Errorf("state directory mode %v, want 0700", st.Mode().Perm())
	}
	checkInstalledConfig(t)
	checkInstalledScan(t)
	checkRemove(t)
}

// checkInstalledConfig checks the installed configuration with a key file
// the operator would install, then removes the key: the package ships none.
func checkInstalledConfig(t *testing.T) {
	const key = "/etc/nhi-agent/fingerprint.key"
	if _, err := os.Stat(key); err == nil {
		t.Fatalf("%s exists after install: the package must not ship a key", key)
	}
	if err := os.WriteFile(key, []byte(testKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(key)
	out := run(t, nil, "/usr/bin/nhi-agent", "config", "check", "/etc/nhi-agent/agent.yaml")
	if want := "/etc/nhi-agent/agent.yaml: ok (1 brokers, 7 plugins)"; !strings.Contains(out, want) || strings.Contains(out, "warning") {
		t.Errorf("config check: %q, want %q and no warning", out, want)
	}
	verifyUnit(t, "/lib/systemd/system/nhi-agent.service")
	unit, err := os.ReadFile("/lib/systemd/system/nhi-agent.service")
	if err != nil || !strings.Contains(string(unit), `ExecStart=/usr/bin/nhi-agent "run" "--config" "/etc/nhi-agent/agent.yaml"`) {
		t.Errorf("installed unit: %v\n%s", err, unit)
	}
}

// checkInstalledScan scans a small tree with the installed agent, which
// must find its plugins in /usr/lib/nhi-agent/plugins by itself.
func checkInstalledScan(t *testing.T) {
	root := t.TempDir()
	write := func(p, s string) {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, p), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("etc/passwd", "root:x:0:0:root:/root:/bin/bash\napp:x:1001:1001:app:/home/app:/bin/sh\n")
	write("home/app/.aws/credentials", "[default]\naws_access_key_id = AKIAQ3EGRZLJ7TXYB2WM\naws_secret_access_key = "+testSecret+"\n")
	out := run(t, []string{"NHI_FINGERPRINT_KEY=" + testKey}, "/usr/bin/nhi-agent", "scan", "--root", root, "--output", "jsonl")
	if strings.Contains(out, testSecret) {
		t.Fatal("the scan output holds the planted secret")
	}
	kinds := map[string]bool{}
	plugins := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var ev struct{ Type, Kind, Plugin string }
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("scan output line %q: %v", line, err)
		}
		plugins[ev.Plugin] = true
		if ev.Type == "nhi_observed" {
			kinds[ev.Kind] = true
		}
	}
	if !kinds["aws_access_key"] || !kinds["os_service_account"] {
		t.Errorf("scan found kinds %v, want aws_access_key and os_service_account", kinds)
	}
	for _, p := range Plugins {
		// processes reads the live /proc only: a scan under --root skips it.
		if !plugins[p] && p != "processes" {
			t.Errorf("plugin %s did not report (reported: %v)", p, plugins)
		}
	}
}

// checkRemove removes the package (only the configuration may stay), then
// purges it (nothing stays).
func checkRemove(t *testing.T) {
	dpkg(t, "-r", "nhi-agent")
	if st := run(t, nil, "dpkg-query", "-W", "-f", "${db:Status-Status}", "nhi-agent"); st != "config-files" {
		t.Errorf("after dpkg -r the status is %q, want config-files", st)
	}
	for _, gone := range []string{"/usr/bin/nhi-agent", "/usr/lib/nhi-agent", "/lib/systemd/system/nhi-agent.service", "/var/lib/nhi-agent"} {
		if _, err := os.Stat(gone); err == nil {
			t.Errorf("%s is left after dpkg -r", gone)
		}
	}
	if _, err := os.Stat("/etc/nhi-agent/agent.yaml"); err != nil {
		t.Errorf("dpkg -r removed the configuration: %v", err)
	}
	dpkg(t, "--purge", "nhi-agent")
	for _, gone := range []string{"/etc/nhi-agent/agent.yaml", "/var/lib/nhi-agent"} {
		if _, err := os.Stat(gone); err == nil {
			t.Errorf("%s is left after dpkg --purge", gone)
		}
	}
}

// checkCollectorInstall installs the collector's .deb, checks the installed
// policy with the installed nhictl (its owners.csv is found beside it) and
// purges the package.
func checkCollectorInstall(t *testing.T, deb string) {
	t.Cleanup(func() { exec.Command("dpkg", "--purge", "nhi-collector").Run() })
	dpkg(t, "-i", deb)
	run(t, nil, "getent", "passwd", "nhi-collector")
	verifyUnit(t, "/lib/systemd/system/nhi-collector.service")
	if out := run(t, nil, "/usr/bin/nhictl", "policy", "check", "/etc/nhi-collector/policy.yaml"); !strings.Contains(out, ": ok") {
		t.Errorf("nhictl policy check: %q", out)
	}
	if out := run(t, nil, "/usr/bin/nhi-collector", "config", "check", "/etc/nhi-collector/collector.yaml"); !strings.Contains(out, ": ok") {
		t.Errorf("nhi-collector config check of the installed config: %q", out)
	}
	dpkg(t, "--purge", "nhi-collector")
	for _, gone := range []string{"/usr/bin/nhi-collector", "/usr/bin/nhictl", "/etc/nhi-collector", "/var/lib/nhi-collector"} {
		if _, err := os.Stat(gone); err == nil {
			t.Errorf("%s is left after dpkg --purge", gone)
		}
	}
}

// TestEveryPluginPackaged holds the packaged plugins to the plugin commands
// in cmd/, so that a new plugin is not left out of the package and its pins.
func TestEveryPluginPackaged(t *testing.T) {
	dirs, err := filepath.Glob("../../cmd/nhi-plugin-*")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range dirs {
		got = append(got, strings.TrimPrefix(filepath.Base(d), "nhi-plugin-"))
	}
	want := slices.Sorted(slices.Values(Plugins))
	if !slices.Equal(got, want) {
		t.Fatalf("cmd/ has plugins %v, the package ships %v", got, want)
	}
}

// verifyUnit has systemd check an installed unit. systemd-analyze exits 0
// on unknown keys and unsafe settings alike, so any line naming the unit
// fails the test; lines about other units on this machine do not.
func verifyUnit(t *testing.T, path string) {
	t.Helper()
	out, err := exec.Command("systemd-analyze", "verify", "--man=no", path).CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze verify %s: %v\n%s", path, err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, path) {
			t.Errorf("systemd-analyze verify: %s", line)
		}
	}
}
