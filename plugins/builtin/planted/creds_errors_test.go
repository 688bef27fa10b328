package planted_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/nhiradar/nhiradar/plugins/builtin"
	"github.com/nhiradar/nhiradar/plugins/builtin/credfiles"
	"github.com/nhiradar/nhiradar/plugins/sdk"
	"github.com/nhiradar/nhiradar/plugins/sdk/sdktest"
)

// TestCredsErrorsDoNotLeak plants secrets in malformed credential files:
// the plugins warn, naming the paths, the scan goes on, and still no secret
// appears in an event, a warning, a log line or an error, in process or
// through gRPC.
func TestCredsErrorsDoNotLeak(t *testing.T) {
	root := t.TempDir()
	secrets := []string{"tokEn9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1", "Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0Pp9Oo8Nn7", "Kp3Zr8Vx1Lm6Qt9Wn4Yb"}
	files := map[string]string{
		"home/eve/.kube/config":                 "users:\n- name: x\n  user:\n    token: " + secrets[0] + "\n  [broken",
		"home/eve/.docker/config.json":          `{"auths": {"r.example.net": {"auth": "` + secrets[1] + `"`,
		"home/eve/.aws/credentials":             "[default\naws_access_key_id = AKIA2E4A7F3B244CQWXY\naws_secret_access_key = " + secrets[1] + "\n",
		"home/eve/.azure/msal_token_cache.json": `{"RefreshToken": {"k": {"secret": "` + secrets[2] + `"}`,
		"opt/app/settings.conf":                 "password = " + secrets[2] + "\n",
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
	for mode, run := range map[string]func(*testing.T, sdk.Plugin, string, map[string]string) sdktest.Result{
		"in-process": func(t *testing.T, p sdk.Plugin, r string, o map[string]string) sdktest.Result {
			return sdktest.Run(t, p, r, o)
		},
		"grpc": func(t *testing.T, p sdk.Plugin, r string, o map[string]string) sdktest.Result {
			return sdktest.RunGRPC(t, p, r, o)
		},
	} {
		t.Run(mode, func(t *testing.T) {
			cf := run(t, credfiles.Plugin{}, root, nil)
			if cf.Err != nil {
				t.Fatalf("malformed files are the host's problem, not a failed scan: %v", cf.Err)
			}
			for _, p := range []string{"/home/eve/.kube/config", "/home/eve/.docker/config.json", "/home/eve/.aws/credentials", "/home/eve/.azure/msal_token_cache.json"} {
				if got := cf.Warnings()[p]; got != "malformed" {
					t.Errorf("%s: warning %q, want \"malformed\" (all: %v)", p, got, cf.Warnings())
				}
			}
			ct := run(t, builtin.Content(), root, nil)
			if len(ct.Find("generic_secret", "/opt/app/settings.conf")) != 1 {
				t.Errorf("content missed the password in settings.conf: %+v", ct.Events)
			}
			cf.NoLeak(t, secrets...)
			ct.NoLeak(t, secrets...)
		})
	}
}
