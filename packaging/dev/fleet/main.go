// Command fleet plants the demo's small fleet: three host trees with fresh
// secrets, a policy and an owner directory. Each run makes new secrets, so
// nothing the demo reports was ever seen anywhere else.
//
//	go run ./packaging/dev/fleet -out DIR
//
// What is planted, and what the demo expects NHI Radar to say of it:
//   - prod-web-1: an AWS key in /root/.aws/credentials, mode 0644 (exposed,
//     ownerless) — the same key is on prod-web-2 (reused); alice's SSH key,
//     used yesterday (healthy); deploy may sudo anything (overprivileged).
//   - prod-web-2: the shared AWS key; a CI key in deploy's authorized_keys
//     last used 200 days ago, with logs reaching back 400 days (dormant).
//   - dev-1: a GitHub token in bob's .env — bob has left (owner departed,
//     to his manager carol); carol's .pgpass, mode 0600 (healthy).
package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base32"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

func main() {
	out := flag.String("out", "", "directory to plant the fleet in (created)")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "fleet: -out DIR is required")
		os.Exit(2)
	}
	if err := plant(*out, time.Now().UTC()); err != nil {
		fmt.Fprintln(os.Stderr, "fleet:", err)
		os.Exit(1)
	}
}

type file struct {
	body string
	mode os.FileMode
}

func plant(dir string, now time.Time) error {
	shared := awsKey()
	alice, aliceFP, err := sshKey("alice@laptop")
	if err != nil {
		return err
	}
	ci, ciFP, err := sshKey("ci@build")
	if err != nil {
		return err
	}
	ops, opsFP, err := sshKey("ops@bastion")
	if err != nil {
		return err
	}
	stamp := func(daysAgo int) string { return now.AddDate(0, 0, -daysAgo).Format(time.RFC3339) }
	login := func(daysAgo int, user, fp string) string {
		return fmt.Sprintf("%s %%s sshd[%d]: Accepted publickey for %s from 10.20.0.%d port 50022 ssh2: ED25519 %s\n",
			stamp(daysAgo), 1000+daysAgo, user, 10+daysAgo%200, fp)
	}
	hosts := map[string]map[string]file{
		"prod-web-1": {
			"etc/hostname": {"prod-web-1\n", 0o644},
			"etc/passwd": {"root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000:Alice Martin:/home/alice:/bin/bash\n" +
				"deploy:x:998:998:deploy bot:/srv/deploy:/usr/sbin/nologin\n", 0o644},
			"etc/group":                       {"root:x:0:\nsudo:x:27:alice\ndeploy:x:998:\n", 0o644},
			"etc/sudoers":                     {"deploy ALL=(ALL) NOPASSWD: ALL\n", 0o440},
			"root/.aws/credentials":           {shared.file("default"), 0o644},
			"home/alice/.ssh/authorized_keys": {alice, 0o600},
			"var/log/auth.log":                {strings.ReplaceAll(login(400, "alice", aliceFP)+login(1, "alice", aliceFP), "%s", "prod-web-1"), 0o640},
		},
		"prod-web-2": {
			"etc/hostname":                    {"prod-web-2\n", 0o644},
			"etc/passwd":                      {"root:x:0:0:root:/root:/bin/bash\ndeploy:x:998:998:deploy bot:/srv/deploy:/usr/sbin/nologin\n", 0o644},
			"etc/group":                       {"root:x:0:\ndeploy:x:998:\n", 0o644},
			"srv/app/.aws/credentials":        {shared.file("payments-app"), 0o600},
			"srv/deploy/.ssh/authorized_keys": {ci + ops, 0o600},
			"var/log/auth.log":                {strings.ReplaceAll(login(400, "deploy", opsFP)+login(200, "deploy", ciFP)+login(1, "deploy", opsFP), "%s", "prod-web-2"), 0o640},
		},
		"dev-1": {
			"etc/hostname": {"dev-1\n", 0o644},
			"etc/passwd": {"root:x:0:0:root:/root:/bin/bash\nbob:x:1001:1001:Bob Stone:/home/bob:/bin/bash\n" +
				"carol:x:1002:1002:Carol Diaz:/home/carol:/bin/bash\n", 0o644},
			"etc/group":          {"root:x:0:\n", 0o644},
			"home/bob/.env":      {"GITHUB_TOKEN=ghp_" + random(36) + "\n", 0o600},
			"home/carol/.pgpass": {"db.dev.internal:5432:app:carol:" + random(24) + "\n", 0o600},
		},
	}
	for host, files := range hosts {
		for p, f := range files {
			if err := write(filepath.Join(dir, "hosts", host, p), f); err != nil {
				return err
			}
		}
	}
	if err := write(filepath.Join(dir, "policy.yaml"), file{policy, 0o644}); err != nil {
		return err
	}
	return write(filepath.Join(dir, "owners.csv"), file{owners, 0o644})
}

func write(path string, f file) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(path, []byte(f.body), f.mode); err != nil {
		return err
	}
	return os.Chmod(path, f.mode) // the umask must not soften a planted mode
}

type aws struct{ id, secret string }

func awsKey() aws {
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	return aws{id: "AKIA" + base32.StdEncoding.EncodeToString(b)[:16], secret: random(40)}
}

func (a aws) file(profile string) string {
	return "[" + profile + "]\naws_access_key_id = " + a.id + "\naws_secret_access_key = " + a.secret + "\n"
}

// random is a fresh secret-looking string of n characters.
func random(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)[:n]
}

// sshKey returns an authorized_keys line for a fresh key and the key's
// SHA256 fingerprint, as sshd logs it.
func sshKey(comment string) (string, string, error) {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", "", err
	}
	k, err := ssh.NewPublicKey(pub)
	if err != nil {
		return "", "", err
	}
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k))) + " " + comment + "\n"
	return line, ssh.FingerprintSHA256(k), nil
}

const policy = `# The demo fleet's policy: see packaging/policy/policy.yaml for a
# commented starting point.
version: 1
environments:
  prod: ["prod-*"]
  dev: ["dev-*"]
owners:
  directory: owners.csv
  rules:
    - match: {host: "prod-*", account: deploy}
      owner: platform
    - match: {path: "/srv/app/**"}
      owner: payments
    - match: {kind: os_service_account}
      owner: platform
ticketing:
  system: local
  default_queue: nhi-triage
  queue_by_environment:
    prod: nhi-prod
  priority: {critical: P1, high: P2, medium: P3, low: P4}
`

const owners = `id,name,email,type,status,manager
alice,Alice Martin,alice@example.com,person,active,carol
bob,Bob Stone,bob@example.com,person,departed,carol
carol,Carol Diaz,carol@example.com,person,active,
platform,Platform Team,platform@example.com,team,active,carol
payments,Payments Team,payments@example.com,team,active,carol
`
