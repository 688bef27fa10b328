package credfiles

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"log/slog"
	"strings"
	"testing"

	"github.com/nhiradar/nhiradar/plugins/sdk"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// TestPackagedSkipped: language package caches, toolchains and files as
// dpkg installed them are left out by default and counted in the summary;
// the options bring them back; a key generated on the host stays reported.
func TestPackagedSkipped(t *testing.T) {
	vendor := "API_TOKEN=Vq8Lm3Nx7Rp2Tw5Yk9Bz\n"
	sum := md5.Sum([]byte(vendor))
	root := plant(t, map[string]string{
		"/root/go/pkg/mod/github.com/acme/lib@v1.2.0/deploy.env":   "API_TOKEN=Gh4Jk7Lm0Nq3Rs6Tv9Wx\n",
		"/home/dev/.pyenv/versions/3.12.1/share/app/prod.env":      "API_TOKEN=Pq2Rs5Tu8Vw1Xy4Za7Bc\n",
		"/srv/app/venv/lib/python3.12/site-packages/pkg/conf/.env": "API_TOKEN=Mn6Op9Qr2St5Uv8Wx1Yz\n",
		"/etc/vendorapp/vendor.env":                                vendor,
		"/srv/app/.env":                                            "API_TOKEN=Cd3Ef6Gh9Ij2Kl5Mn8Op\n",
		"/var/lib/dpkg/info/vendorapp.list":                        "/etc/vendorapp\n/etc/vendorapp/vendor.env\n",
		"/var/lib/dpkg/info/vendorapp.md5sums":                     hex.EncodeToString(sum[:]) + "  etc/vendorapp/vendor.env\n",
	})
	run := func(opts map[string]string) (map[string]bool, string) {
		var logs bytes.Buffer
		got := map[string]bool{}
		err := Plugin{}.Scan(context.Background(),
			sdk.ScanRequest{Root: root, Full: true, FingerprintKey: testKey, Options: opts,
				Log: slog.New(slog.NewTextHandler(&logs, nil))},
			func(e *event.Event) error {
				if e.Type == event.TypeNHIObserved {
					got[e.Location] = true
				}
				return nil
			})
		if err != nil {
			t.Fatal(err)
		}
		return got, logs.String()
	}
	got, logs := run(nil)
	if len(got) != 1 || !got["/srv/app/.env"] {
		t.Errorf("by default want only the operator's /srv/app/.env, got %v", got)
	}
	if !strings.Contains(logs, "skipped_package_cache=3") || !strings.Contains(logs, "skipped_os_package=1") {
		t.Errorf("summary does not count the skips: %s", logs)
	}
	got, _ = run(map[string]string{"skip_package_caches": "false", "skip_os_packages": "false"})
	if len(got) != 5 {
		t.Errorf("with the skips off want all 5 files, got %v", got)
	}
}
