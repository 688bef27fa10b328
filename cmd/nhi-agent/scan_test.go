package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// scanJSONL runs `nhi-agent scan --output jsonl` and returns the
// observations' principals and the raw output.
func scanJSONL(t *testing.T, bin string, args ...string) ([]string, []byte) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"scan", "--output", "jsonl"}, args...)...)
	cmd.Env = append(os.Environ(), "NHI_FINGERPRINT_KEY=baseline-test-key-0001")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("scan %v: %v\n%s", args, err, stderr.String())
	}
	var principals []string
	for _, line := range bytes.Split(bytes.TrimSpace(out), []byte("\n")) {
		var e struct{ Type, Principal string }
		if err := json.Unmarshal(line, &e); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		if e.Type == "nhi_observed" {
			principals = append(principals, e.Principal)
		}
	}
	return principals, out
}

// TestScanBaselineReportsOnlyNew: a scan with an earlier scan as baseline
// reports only the identity planted since, secret or not.
func TestScanBaselineReportsOnlyNew(t *testing.T) {
	b := build(t)
	root := t.TempDir()
	if err := exec.Command("cp", "-r", "../e2e/testdata/host/.", root).Run(); err != nil {
		t.Fatal(err)
	}
	first, out := scanJSONL(t, b.agent, "--root", root)
	if len(first) < 5 {
		t.Fatalf("first scan found %v", first)
	}
	base := filepath.Join(t.TempDir(), "baseline.jsonl")
	if err := os.WriteFile(base, out, 0o600); err != nil {
		t.Fatal(err)
	}
	// New since the baseline: an AWS key and a service account.
	creds := "[new]\naws_access_key_id = AKIAQWERTY234567ABCD\naws_secret_access_key = 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\n"
	if err := os.WriteFile(filepath.Join(root, "root/.aws/credentials"), []byte(creds), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(root, "etc/passwd"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("prometheus:x:997:997:Prometheus:/var/lib/prometheus:/usr/sbin/nologin\n")
	f.Close()
	second, _ := scanJSONL(t, b.agent, "--root", root, "--baseline", base)
	if got := strings.Join(second, ","); got != "AKIAQWERTY234567ABCD,prometheus" {
		t.Fatalf("with a baseline, reported %q; want only the two new identities", got)
	}
}

// TestScanRunsChosenPluginsOutOfProcess: --plugins limits the scan to the
// named plugin executables, each its own process.
func TestScanRunsChosenPluginsOutOfProcess(t *testing.T) {
	b := build(t)
	_, out := scanJSONL(t, b.agent, "--root", "../e2e/testdata/host", "--plugins", "accounts")
	plugins := map[string]int{}
	for _, line := range bytes.Split(bytes.TrimSpace(out), []byte("\n")) {
		var e struct{ Plugin string }
		if err := json.Unmarshal(line, &e); err != nil {
			t.Fatal(err)
		}
		plugins[e.Plugin]++
	}
	if len(plugins) != 1 || plugins["accounts"] < 2 {
		t.Fatalf("events per plugin = %v; want accounts only", plugins)
	}
}

// TestScanRefusesUntrustedPlugins: a one-shot scan names what is wrong with
// its plugins before it runs any.
func TestScanRefusesUntrustedPlugins(t *testing.T) {
	b := build(t)
	dir := t.TempDir()
	copyFile := func(name string, mode os.FileMode) {
		src, err := os.ReadFile(filepath.Join(filepath.Dir(b.agent), name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), src, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(filepath.Join(dir, name), mode); err != nil {
			t.Fatal(err)
		}
	}
	copyFile("nhi-plugin-accounts", 0o757)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--plugins", "nope"}, "unknown plugin"},
		{[]string{"--plugin-dir", dir, "--plugins", "credfiles"}, "nhi-plugin-credfiles not found"},
		{[]string{"--plugin-dir", dir, "--plugins", "accounts"}, "writable by group or others"},
	} {
		cmd := exec.Command(b.agent, append([]string{"scan", "--root", "../e2e/testdata/host"}, c.args...)...)
		cmd.Env = append(os.Environ(), "NHI_FINGERPRINT_KEY=baseline-test-key-0001")
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), c.want) {
			t.Errorf("scan %v: err %v, output %s; want an error containing %q", c.args, err, out, c.want)
		}
		if bytes.Contains(out, []byte(`"type":`)) {
			t.Errorf("scan %v printed events despite the error", c.args)
		}
	}
}

// TestScanKafkaRefusesWithoutKey: no key, no publish. --output kafka without
// an organisation fingerprint key fails before it scans or connects, naming
// both ways to give the key; --output jsonl goes on with a random key and a
// note on stderr.
func TestScanKafkaRefusesWithoutKey(t *testing.T) {
	b := build(t)
	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "NHI_FINGERPRINT_KEY=") {
			env = append(env, kv)
		}
	}
	// A closed port: a publish would fail differently, so the error proves
	// the refusal came first.
	cmd := exec.Command(b.agent, "scan", "--root", "../e2e/testdata/host", "--output", "kafka", "--brokers", "127.0.0.1:1")
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err == nil {
		t.Fatalf("scan --output kafka without a key exited 0:\n%s", stderr.String())
	}
	for _, want := range []string{"NHI_FINGERPRINT_KEY", "--fingerprint-key-file"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("the refusal does not name %s:\n%s", want, stderr.String())
		}
	}
	if stdout.Len() != 0 {
		t.Errorf("printed events despite the refusal: %s", stdout.String())
	}

	cmd = exec.Command(b.agent, "scan", "--root", "../e2e/testdata/host", "--output", "jsonl")
	cmd.Env = env
	stdout.Reset()
	stderr.Reset()
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("scan --output jsonl without a key: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), `"type":"nhi_observed"`) || !strings.Contains(stderr.String(), "random") {
		t.Fatalf("jsonl scan without a key: events %d bytes, stderr %s", stdout.Len(), stderr.String())
	}
}
