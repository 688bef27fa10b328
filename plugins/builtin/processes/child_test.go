package processes

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

var testKey = []byte("processes-test-key-000001")

// randomToken returns n random letters and digits: secrets are made at run
// time so that none sits in the repository for a scanner to find.
func randomToken(t *testing.T, n int) string {
	t.Helper()
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	for i := range b {
		v, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			t.Fatal(err)
		}
		b[i] = alphabet[v.Int64()]
	}
	return string(b)
}

type planted struct {
	apiToken, github, dbPass, argToken, awsID, awsSecret string
	credFile, keyFile, keyPrincipal                      string
}

// startChild starts `sh -c 'read x'` with secrets in its environment and
// arguments and two credential files open on fds 3 and 4. It blocks on
// stdin until the test ends, so it is alive during the scan without any
// timer. exec.Cmd.Start returns once the child has exec'd.
func startChild(t *testing.T) (*exec.Cmd, planted) {
	t.Helper()
	p := planted{
		apiToken: randomToken(t, 32), github: "ghp_" + randomToken(t, 36), dbPass: randomToken(t, 20),
		argToken: randomToken(t, 28), awsID: "AKIA" + strings.ToUpper(randomToken(t, 16)), awsSecret: randomToken(t, 40),
	}
	dir := t.TempDir()
	p.credFile = filepath.Join(dir, ".aws", "credentials")
	p.keyFile = filepath.Join(dir, ".ssh", "id_ed25519")
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	block, err := ssh.MarshalPrivateKey(priv, "child key")
	if err != nil {
		t.Fatal(err)
	}
	sshPub, _ := ssh.NewPublicKey(pub)
	p.keyPrincipal = ssh.FingerprintSHA256(sshPub)
	files := map[string][]byte{
		p.credFile: []byte("[default]\naws_access_key_id = " + p.awsID + "\naws_secret_access_key = " + p.awsSecret + "\n"),
		p.keyFile:  pem.EncodeToMemory(block),
	}
	var open []*os.File
	for path, body := range files {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, body, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, path := range []string{p.credFile, p.keyFile} {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		open = append(open, f)
	}
	cmd := exec.Command("/bin/sh", "-c", "read x", "nhi-planted",
		"--db-password="+p.dbPass, "--api-token", p.argToken, "--password=changeme", "--verbose")
	cmd.Env = []string{
		"PATH=/usr/bin:/bin", "HOME=" + dir, "PWD=" + dir,
		"API_TOKEN=" + p.apiToken, "GITHUB_TOKEN=" + p.github,
		"AWS_ACCESS_KEY_ID=" + p.awsID, "AWS_SECRET_ACCESS_KEY=" + p.awsSecret,
		// Decoys.
		"PASSWORD=changeme", "STRIPE_API_KEY=your-api-key-here", "SESSION_SECRET=${SESSION_SECRET}",
		"AWS_SHARED_CREDENTIALS_FILE=" + p.credFile, "GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D",
	}
	cmd.ExtraFiles = open
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); _ = cmd.Wait() })
	return cmd, p
}
