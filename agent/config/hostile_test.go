//go:build unix

package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// billionLaughs is a few hundred bytes that decode to about 10^9 strings.
const billionLaughs = `brokers: [k:9092]
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
`

func write(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAliasBombRefusedWithFileAndLine(t *testing.T) {
	path := write(t, "agent.yaml", billionLaughs)
	start := time.Now()
	_, err := Load(path)
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("Load took %s: aliases were expanded", took)
	}
	if err == nil || !strings.Contains(err.Error(), path+":2: YAML anchors and aliases are not allowed") {
		t.Fatalf("err = %v, want the file, line 2 and the reason", err)
	}
}

func TestMergeKeyAliasRefused(t *testing.T) {
	_, err := Parse([]byte("brokers: [k:9092]\nkafka: {batch_size: 10}\nspool:\n  <<: *x\n"))
	var ae *AliasError
	if !errors.As(err, &ae) || ae.Line != 4 {
		t.Fatalf("err = %v, want an alias error on line 4", err)
	}
}

func TestFIFOConfigRefusedWithoutHanging(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.yaml")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := Load(path); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Fatalf("err = %v, want a refusal of the FIFO", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Load hangs on a FIFO")
	}
}

func TestOversizeConfigRefused(t *testing.T) {
	path := write(t, "agent.yaml", "brokers: [k:9092]\n#"+strings.Repeat("x", MaxFileBytes)+"\n")
	_, err := Load(path)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
}

func TestSecretFileMustBeSmallAndRegular(t *testing.T) {
	big := write(t, "pw", strings.Repeat("p", MaxSecretBytes+1))
	if _, err := (Secret{File: big}).Read(); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversize secret: %v", err)
	}
	if _, err := (Secret{File: "/dev/zero"}).Read(); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("device as secret: %v", err)
	}
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := (Secret{File: fifo}).Read(); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Fatalf("FIFO as secret: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Secret.Read hangs on a FIFO")
	}
}

// TestDamagedAgentIDIsReplaced: a malformed agent-id, or a FIFO in its
// place, is moved aside and a new id made, so that the agent starts.
func TestDamagedAgentIDIsReplaced(t *testing.T) {
	for name, plant := range map[string]func(string) error{
		"garbage": func(p string) error { return os.WriteFile(p, []byte("\x00\xffnot-an-id"), 0o600) },
		"fifo":    func(p string) error { return syscall.Mkfifo(p, 0o600) },
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "agent-id")
			if err := plant(path); err != nil {
				t.Fatal(err)
			}
			id, err := AgentID(dir, nil)
			if err != nil || !agentIDPattern.MatchString(id) {
				t.Fatalf("AgentID = %q, %v", id, err)
			}
			aside, _ := filepath.Glob(path + ".corrupt-*")
			again, err := AgentID(dir, nil)
			if len(aside) != 1 || err != nil || again != id {
				t.Fatalf("aside %v; second AgentID %q, %v, want %q", aside, again, err, id)
			}
		})
	}
}

// TestDeepNestingRefusedQuickly: nesting that would take the parser hours
// is refused with its line, in flow and in block style, while the deepest
// real configuration passes.
func TestDeepNestingRefusedQuickly(t *testing.T) {
	cases := map[string]string{
		"flow":                     "brokers: [k:9092]\nx: " + strings.Repeat("[", MaxFileBytes-100),
		"block":                    "brokers: [k:9092]\nx:\n" + strings.Repeat("- ", MaxFileBytes/2-100) + "y\n",
		"after unbalanced closers": "brokers: [k:9092]\n]]]\nx:\n" + strings.Repeat("- ", 1000) + "y\n",
	}
	for name, src := range cases {
		t.Run(name, func(t *testing.T) {
			path := write(t, "agent.yaml", src)
			start := time.Now()
			_, err := Load(path)
			if took := time.Since(start); took > 5*time.Second {
				t.Fatalf("Load took %s", took)
			}
			if err == nil || !strings.Contains(err.Error(), path+":") || !strings.Contains(err.Error(), "nested deeper than") {
				t.Fatalf("err = %v, want a depth error naming the file and line", err)
			}
		})
	}
	real := "brokers: [k:9092]\nkafka:\n  tls: {enabled: true}\n  sasl:\n    mechanism: scram-sha-512\n    username: u\n" +
		"    password:\n      file: /etc/pw\nplugins:\n  - name: credfiles\n    sha256: " + strings.Repeat("ab", 32) +
		"\n    options:\n      paths: a,b\n"
	if _, err := Parse([]byte(real)); err != nil {
		t.Fatalf("a real configuration is refused: %v", err)
	}
}
