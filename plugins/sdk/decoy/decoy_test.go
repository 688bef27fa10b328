package decoy

import "testing"

func TestValue(t *testing.T) {
	decoys := []string{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "your-api-key", "changeme",
		"<token>", "xxxxxxxxxxxx", "${GITHUB_TOKEN}", "$DB_PASSWORD", "3f1c9a7e-5b2d-4c8e-9a01-7d3e2f6b8c4d",
		"sk-...", "aaaaaaaaaa", "$6$salt$hashhashhash", "{{ .Values.token }}", "short"}
	for _, d := range decoys {
		if !Value(d) {
			t.Errorf("Value(%q) = false, want decoy", d)
		}
	}
	real := []string{"ghp_OhbVrpoiVgRV5IfLBcbfnoGMbJmTPSIAoCLr", "MuFbh7x41Ztpdp4K8f", "HrFH2ZUCr+lgotu2iXW7GboIRoL3u6aHwnMztVua"}
	for _, r := range real {
		if Value(r) {
			t.Errorf("Value(%q) = true, want real", r)
		}
	}
}

func TestInContext(t *testing.T) {
	h := "9c56cc51b374c3ba189210d5b6d4bf57790d351c96c47c02190ecf1e430635ab"
	if !InContext(h, "artifact_sha256=") || InContext(h, "API_SECRET=") {
		t.Fatal("a digest is a decoy only where it is named as one")
	}
}

func TestPath(t *testing.T) {
	for _, p := range []string{"/opt/app/testdata/x.env", "/srv/app/.env.example", "/usr/share/doc/app/README.md", "/opt/x/tests/fixtures/id_rsa"} {
		if !Path(p) {
			t.Errorf("Path(%q) = false", p)
		}
	}
	for _, p := range []string{"/home/dev/.pyenv/versions/3.12.1/lib/python3.12/test/certdata/keycert.pem",
		"/root/go/pkg/mod/golang.org/x/crypto@v0.1.0/ssh/test/testdata_test.go", "/srv/app/node_modules/jws/test/data/key.pem",
		"/usr/local/lib/python3.11/test/certdata/badkey.pem", "/opt/app/venv/lib/python3.11/site-packages/x/tests/k.pem"} {
		if !Path(p) {
			t.Errorf("Path(%q) = false, want a vendor fixture", p)
		}
	}
	for _, p := range []string{"/opt/app/.env", "/etc/app/app.conf", "/home/alice/.aws/credentials", "/srv/test/app/.env",
		"/opt/tests/deploy.key", "/opt/app/vendor/config/prod.env"} {
		if Path(p) {
			t.Errorf("Path(%q) = true", p)
		}
	}
}

// TestPlaceholder: in a credential field, placeholders are noise but a
// value's shape is not: a UUID or a short word is a credential.
func TestPlaceholder(t *testing.T) {
	for _, d := range []string{"", "  ", "changeme", "${VAR}", "$DB_PASSWORD", "<token>", "xxx", "****", "password",
		"PASSWORD", "your-api-key", "AKIAIOSFODNN7EXAMPLE", "{{ .Values.token }}", "%DB_PASS%"} {
		if !Placeholder(d) {
			t.Errorf("Placeholder(%q) = false, want placeholder", d)
		}
	}
	for _, r := range []string{"3f1c9a7e-5b2d-4c8e-9a01-7d3e2f6b8c4d", "hunter2", "kX9!", "a<b>c9", "$6$salt$hashhashhash",
		"ghp_OhbVrpoiVgRV5IfLBcbfnoGMbJmTPSIAoCLr"} {
		if Placeholder(r) {
			t.Errorf("Placeholder(%q) = true, want a credential", r)
		}
	}
}
