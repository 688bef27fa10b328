package content

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// TestPrincipalBesideSecret: a match reports the principal its block
// names beside it (same section, adjacent assignments, same JSON or YAML
// object), and none named in another block.
func TestPrincipalBesideSecret(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{
		"/etc/app/azure.conf": "[other]\nclient_id = not-this-one\n\n[azure]\nclient_id = 0e6b2f4a-3c1d-4b5e-8f7a-9c0d1e2f3a4b\n" +
			"client_secret = Kq87Q~W3nL5pR2sY7bTq8vW3nL5pR2sY7bZx.Yz\n",
		"/etc/app/aws.ini": "[prod]\naws_access_key_id = AKIA2E4A7F3B244CQWXY\naws_secret_access_key = Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0Pp9Oo8Nn7\n",
		"/srv/app/config.json": `{
  "other": {
    "username": "nested-not-this"
  },
  "database": {
    "username": "billing_app",
    "password": "Hx7Lp2Qw9Rt4Yb6NmK3z"
  }
}
`,
		"/srv/app/settings.yaml": "storage:\n  STORAGE_KEY_ID: key-7781\n  STORAGE_SECRET: Mq3Zr8Tk1Wp6Vb4NcX9e\n",
		"/srv/app/lonely.env":    "USER=someone\n\nAPI_PASSWORD=Pl0Ok9Ij8Uh7Yg6TrE5w\n",
	}
	for p, body := range files {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string]*event.Event{}
	for _, e := range scan(t, root, nil) {
		if e.Type == event.TypeNHIObserved && e.Key != "aws_access_key_id" {
			got[e.Location+" "+e.Key] = e
		}
	}
	for at, want := range map[string]string{
		"/etc/app/azure.conf client_secret":      "0e6b2f4a-3c1d-4b5e-8f7a-9c0d1e2f3a4b",
		"/etc/app/aws.ini aws_secret_access_key": "AKIA2E4A7F3B244CQWXY",
		"/srv/app/config.json password":          "billing_app",
		"/srv/app/settings.yaml STORAGE_SECRET":  "key-7781",
		"/srv/app/lonely.env API_PASSWORD":       "",
	} {
		e := got[at]
		if e == nil {
			t.Errorf("%s: not reported (got %v)", at, keys(got))
			continue
		}
		if e.Principal != want {
			t.Errorf("%s: principal %q, want %q", at, e.Principal, want)
		}
	}
	if e := got["/etc/app/aws.ini aws_secret_access_key"]; e != nil && e.Kind != event.KindAWSAccessKey {
		t.Errorf("a secret beside an AWS key id: kind %s, want %s", e.Kind, event.KindAWSAccessKey)
	}
}

func keys(m map[string]*event.Event) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
