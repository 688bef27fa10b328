// Package hostilehost plants host trees the way a hostile local user
// would shape them — FIFOs, devices, oversize files and lines, compression
// bombs, links out of the root and in loops, deep nesting, names no tool
// expects, garbage where a format is expected — beside legitimate
// credentials that a scan must still report. The tests of the agent scan
// every tree and check it finishes in bounded time and memory, exits 0,
// still finds the legitimate identities and names every hostile file
// without ever quoting it.
package hostilehost

import (
	"bytes"
	"compress/gzip"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/crypto/ssh"
)

// Marker is planted in hostile content: it must never appear in a scan's
// output or logs.
const Marker = "HOSTILEMARKERq7Zx"

// Tree is one planted tree and what a scan of it must show.
type Tree struct {
	Name string
	Dir  string
	// Found are principals the scan must still report.
	Found []string
	// Warned are host paths the scan must name as not read in full.
	Warned []string
	// Unprivileged trees are scanned as an account that cannot read
	// root's files.
	Unprivileged bool
}

// Legitimate identities planted in every tree.
const (
	AWSKey      = "AKIA2E4A7F3B244CQWXY"
	awsSecret   = "Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0Pp9Oo8Nn7"
	ServiceUser = "deploy"
)

// Plant writes every hostile tree under dir.
func Plant(dir string) ([]Tree, error) {
	var out []Tree
	for _, c := range cases {
		t := Tree{Name: c.name, Dir: filepath.Join(dir, c.name), Unprivileged: c.unprivileged}
		key, err := plantLegit(t.Dir)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.name, err)
		}
		t.Found = []string{AWSKey, ServiceUser, key}
		if c.unprivileged {
			t.Found = []string{ServiceUser, key} // root's AWS file is what it cannot read
		}
		warned, err := c.plant(t.Dir)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.name, err)
		}
		t.Warned = warned
		t.Found = append(t.Found, c.found...)
		out = append(out, t)
	}
	return out, nil
}

type hostileCase struct {
	name         string
	unprivileged bool
	// plant adds the hostile files and returns the host paths to be warned about.
	plant func(dir string) ([]string, error)
	// found are principals the case plants beside its hostile files.
	found []string
}

// plantLegit writes what a healthy host holds: a service account with a
// sudo rule, an AWS key in root's home, an authorized key for alice and
// a login of deploy in the auth log. It returns the SSH key's principal.
func plantLegit(dir string) (string, error) {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", err
	}
	sk, err := ssh.NewPublicKey(pub)
	if err != nil {
		return "", err
	}
	files := map[string]string{
		"etc/hostname": "hostile-" + filepath.Base(dir) + "\n",
		"etc/passwd": "root:x:0:0:root:/root:/bin/bash\n" +
			"alice:x:1000:1000:Alice:/home/alice:/bin/bash\n" +
			ServiceUser + ":x:998:998:deploy bot:/srv/deploy:/usr/sbin/nologin\n",
		"etc/group":                       "root:x:0:\nsudo:x:27:alice\ndeploy:x:998:\n",
		"etc/sudoers":                     ServiceUser + " ALL=(ALL) NOPASSWD: ALL\n",
		"root/.aws/credentials":           "[default]\naws_access_key_id = " + AWSKey + "\naws_secret_access_key = " + awsSecret + "\n",
		"home/alice/.ssh/authorized_keys": string(ssh.MarshalAuthorizedKey(sk)),
		"var/log/auth.log":                "Dec  1 10:00:00 host sshd[4242]: Accepted publickey for " + ServiceUser + " from 10.0.0.5 port 50022 ssh2: ED25519 " + ssh.FingerprintSHA256(sk) + "\n",
	}
	for p, body := range files {
		if err := write(dir, p, body); err != nil {
			return "", err
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "srv/deploy"), 0o755); err != nil {
		return "", err
	}
	return ssh.FingerprintSHA256(sk), nil
}

func write(dir, p, body string) error {
	full := filepath.Join(dir, p)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		return err
	}
	return os.WriteFile(full, []byte(body), 0o600)
}

// replace puts a special file where a regular one may be.
func replace(dir, p string, mk func(string) error) error {
	full := filepath.Join(dir, p)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		return err
	}
	_ = os.Remove(full)
	return mk(full)
}

func fifo(p string) error { return syscall.Mkfifo(p, 0o644) }

// zeroDevice makes a node with /dev/zero's numbers (needs CAP_MKNOD).
func zeroDevice(p string) error { return syscall.Mknod(p, syscall.S_IFCHR|0o644, 1<<8|5) }

func longLine(n int) string { return Marker + strings.Repeat("A", n) + "\n" }

var cases = []hostileCase{
	{name: "fifos", plant: func(d string) ([]string, error) {
		for _, p := range []string{"home/bob/.ssh/authorized_keys", "etc/sudoers.d/zz", "var/log/auth.log.1", "home/bob/.aws/credentials", "etc/hostname", "var/log/wtmp"} {
			if err := replace(d, p, fifo); err != nil {
				return nil, err
			}
		}
		if err := write(d, "etc/passwd", "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000:Alice:/home/alice:/bin/bash\nbob:x:1001:1001::/home/bob:/bin/bash\n"+ServiceUser+":x:998:998:deploy bot:/srv/deploy:/usr/sbin/nologin\n"); err != nil {
			return nil, err
		}
		if err := write(d, "etc/sudoers", ServiceUser+" ALL=(ALL) NOPASSWD: ALL\n#includedir /etc/sudoers.d\n"); err != nil {
			return nil, err
		}
		return []string{"/home/bob/.ssh/authorized_keys", "/etc/sudoers.d/zz", "/var/log/auth.log.1", "/home/bob/.aws/credentials", "/var/log/wtmp"}, nil
	}},
	{name: "devices", plant: func(d string) ([]string, error) {
		for _, p := range []string{"etc/group", "etc/login.defs", "home/alice/.netrc"} {
			if err := replace(d, p, zeroDevice); err != nil {
				return nil, err
			}
		}
		return []string{"/etc/group", "/etc/login.defs", "/home/alice/.netrc"}, nil
	}},
	{name: "gzip-bomb", plant: func(d string) ([]string, error) {
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		chunk := make([]byte, 1<<20)
		for i := 0; i < 512; i++ { // 512 MiB of zeros, about 500 KB compressed
			if _, err := zw.Write(chunk); err != nil {
				return nil, err
			}
		}
		if err := zw.Close(); err != nil {
			return nil, err
		}
		return []string{"/var/log/auth.log.2.gz"}, write(d, "var/log/auth.log.2.gz", b.String())
	}},
	{name: "long-lines", plant: func(d string) ([]string, error) {
		legitLog, err := os.ReadFile(filepath.Join(d, "var/log/auth.log"))
		if err != nil {
			return nil, err
		}
		files := map[string]string{
			// The legitimate entry comes after the long line: it must survive it.
			"var/log/auth.log":      longLine(50<<20) + string(legitLog),
			"etc/passwd":            "root:x:0:0:root:/root:/bin/bash\n" + longLine(100<<10) + "alice:x:1000:1000:Alice:/home/alice:/bin/bash\n" + ServiceUser + ":x:998:998:deploy bot:/srv/deploy:/usr/sbin/nologin\n",
			"etc/sudoers":           longLine(100<<10) + ServiceUser + " ALL=(ALL) NOPASSWD: ALL\n",
			"root/.aws/credentials": longLine(100<<10) + "[default]\naws_access_key_id = " + AWSKey + "\naws_secret_access_key = " + awsSecret + "\n",
		}
		for p, body := range files {
			if err := write(d, p, body); err != nil {
				return nil, err
			}
		}
		return []string{"/var/log/auth.log", "/etc/passwd", "/etc/sudoers"}, nil
	}},
	{name: "big-authorized-keys", plant: func(d string) ([]string, error) {
		keys, err := os.ReadFile(filepath.Join(d, "home/alice/.ssh/authorized_keys"))
		if err != nil {
			return nil, err
		}
		var b strings.Builder
		for b.Len() < 5<<20 { // over the 4 MiB that once failed the whole plugin
			b.WriteString("# " + Marker + " padding comment line of an authorized_keys file\n")
		}
		b.Write(keys)
		return nil, write(d, "home/alice/.ssh/authorized_keys", b.String())
	}},
	{name: "links", plant: func(d string) ([]string, error) {
		outside, err := os.MkdirTemp("", "hostile-outside-")
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(outside, "credentials"), []byte("[x]\naws_access_key_id = AKIAOUTSIDEOUTSIDE23\naws_secret_access_key = "+Marker+"Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0Pp9Oo8\n"), 0o600); err != nil {
			return nil, err
		}
		links := map[string]string{
			"home/bob/.aws/credentials":  filepath.Join(outside, "credentials"), // absolute: in the root, a path that does not exist
			"home/bob/.netrc":            "../../../../../../../../../../" + outside + "/credentials",
			"home/bob/.pgpass":           ".pgpass", // a loop
			"home/bob/.git-credentials":  "/home/bob/.git-credentials2",
			"home/bob/.git-credentials2": "/home/bob/.git-credentials",
		}
		for p, target := range links {
			if err := replace(d, p, func(full string) error { return os.Symlink(target, full) }); err != nil {
				return nil, err
			}
		}
		return []string{"/home/bob/.pgpass", "/home/bob/.git-credentials"}, nil
	}},
	{name: "var-log-link", plant: func(d string) ([]string, error) {
		// An image whose /var/log points at /var/log: from the scanning
		// machine, that is the scanner's own logs.
		if err := os.RemoveAll(filepath.Join(d, "var/log")); err != nil {
			return nil, err
		}
		return nil, os.Symlink("/var/log", filepath.Join(d, "var/log"))
	}},
	{name: "deep-and-odd-names", plant: func(d string) ([]string, error) {
		deep := filepath.Join(d, "home/alice")
		for i := 0; i < 300; i++ {
			deep = filepath.Join(deep, "d")
		}
		if err := os.MkdirAll(deep, 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(deep, ".env"), []byte("STRIPE_KEY=x\n"), 0o600); err != nil {
			return nil, err
		}
		for _, name := range []string{"new\nline.env", "bad\xff\xfename.env"} {
			if err := os.WriteFile(filepath.Join(d, "home/alice", name), []byte("GITHUB_TOKEN=ghp_"+strings.Repeat("a1B2", 9)+"\n"), 0o600); err != nil {
				return nil, err
			}
		}
		return nil, nil
	}},
	{name: "garbage", plant: func(d string) ([]string, error) {
		junk := make([]byte, 1<<20)
		if _, err := rand.Read(junk); err != nil {
			return nil, err
		}
		for _, p := range []string{"etc/sudoers.d/junk", "etc/login.defs", "home/alice/.docker/config.json"} {
			if err := write(d, p, string(junk)); err != nil {
				return nil, err
			}
		}
		if err := write(d, "etc/sudoers", ServiceUser+" ALL=(ALL) NOPASSWD: ALL\n#includedir /etc/sudoers.d\n"); err != nil {
			return nil, err
		}
		return []string{"/home/alice/.docker/config.json"}, nil
	}},
	{name: "agent-configs", found: []string{"legit-mcp"}, plant: func(d string) ([]string, error) {
		// MCP configurations are JSON that any local user can shape:
		// nesting past the decoder's depth, a file past the size limit, an
		// unterminated JSONC comment, and fifty thousand servers (bounded
		// by the file, nothing to report) beside a legitimate one.
		var many strings.Builder
		many.WriteString(`{"mcpServers": {`)
		for i := 0; i < 50000; i++ {
			fmt.Fprintf(&many, `"s%d": {"command": "x", "env": {"LOG_LEVEL": "debug"}},`, i)
		}
		many.WriteString(`"legit-mcp": {"command": "gh-mcp", "env": {"GITHUB_TOKEN": "ghp_` + strings.Repeat("q7Lw", 9) + `"}}}}`)
		files := map[string]string{
			"home/alice/.cursor/mcp.json":      strings.Repeat(`{"`+Marker+`":`, 100000) + "1" + strings.Repeat("}", 100000),
			"srv/app/mcp.json":                 `{"mcpServers": {"x": {"env": {"API_TOKEN": "` + Marker + strings.Repeat("A", 5<<20) + `"}}}}`,
			"home/alice/.vscode/mcp.json":      `{"servers": {} /* ` + Marker + strings.Repeat(" *", 1<<20),
			"home/alice/.continue/config.yaml": "models:\n  - apiKey: [" + Marker + "\n",
			"srv/agent/.vscode/mcp.json":       "// JSONC\n" + many.String(),
		}
		for p, body := range files {
			if err := write(d, p, body); err != nil {
				return nil, err
			}
		}
		return []string{"/home/alice/.cursor/mcp.json", "/srv/app/mcp.json", "/home/alice/.vscode/mcp.json", "/home/alice/.continue/config.yaml"}, nil
	}},
	{name: "yaml-and-jwt-bombs", plant: func(d string) ([]string, error) {
		bomb := "a: &a [\"" + Marker + "\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\"]\n"
		for i, prev := 0, "a"; i < 9; i++ {
			name := string(rune('b' + i))
			bomb += name + ": &" + name + " [*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + "]\n"
			prev = name
		}
		bomb += "users: *j\n" // decoding users expands it: a billion entries
		payload := base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"system:serviceaccount:x:` + Marker + strings.Repeat("A", 10<<20) + `"}`))
		jwt := "eyJhbGciOiJSUzI1NiJ9." + payload + ".c2ln"
		if err := write(d, "home/alice/.kube/config", bomb); err != nil {
			return nil, err
		}
		tok := "var/lib/kubelet/pods/p1/volumes/kubernetes.io~projected/v/token"
		return []string{"/home/alice/.kube/config", "/" + tok}, write(d, tok, jwt)
	}},
	{name: "unreadable", unprivileged: true, plant: func(d string) ([]string, error) {
		// Scanned as nobody: root's files (0600) cannot be read. The tree
		// is world-traversable so that the rest can.
		if err := filepath.Walk(d, func(p string, fi os.FileInfo, err error) error {
			if err != nil || !fi.IsDir() {
				return err
			}
			return os.Chmod(p, 0o755)
		}); err != nil {
			return nil, err
		}
		for _, p := range []string{"etc/passwd", "etc/group", "etc/hostname", "home/alice/.ssh/authorized_keys"} {
			if err := os.Chmod(filepath.Join(d, p), 0o644); err != nil {
				return nil, err
			}
		}
		return []string{"/root/.aws/credentials", "/etc/sudoers"}, nil
	}},
}
