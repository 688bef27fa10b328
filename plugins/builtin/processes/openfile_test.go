package processes

import "testing"

func TestCredentialFile(t *testing.T) {
	for p, want := range map[string]bool{
		"/home/a/.aws/credentials": true, "/root/.ssh/id_ed25519": true, "/root/.ssh/id_ed25519.pub": false,
		"/var/run/secrets/kubernetes.io/serviceaccount/token": true, "/etc/passwd": false, "/home/a/.ssh/known_hosts": false,
	} {
		if CredentialFile(p) != want {
			t.Errorf("%s: want %v", p, want)
		}
	}
}
