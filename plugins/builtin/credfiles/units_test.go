package credfiles

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// plant writes files (host path → content) under a new root.
func plant(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for p, body := range files {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// byKey indexes a scan's findings by location and key.
func byKey(events []*event.Event) map[string]*event.Event {
	out := map[string]*event.Event{}
	for _, e := range events {
		if e.Type == event.TypeNHIObserved {
			out[e.Location+" "+e.Key] = e
		}
	}
	return out
}

// TestUnitAndCronSources: each secret of a unit or crontab says where it
// sits (attrs.source) and runs as the unit's User= or the job's user, not
// as the file's owner.
func TestUnitAndCronSources(t *testing.T) {
	root := plant(t, map[string]string{
		"/etc/systemd/system/api.service": "[Service]\nExecStartPre=/usr/bin/fetch --api-token=Tq8vW3nL5pR2sY7b\n" +
			"Environment=\"SERVICE_TOKEN=Jk4mN8qR2tV6xZ0c\"\nEnvironmentFile=-/etc/api/env\n" +
			"ExecStart=/usr/bin/api --db-password=Hx7Lp2Qw9Rt4Yb6N\nUser=svc-api\n",
		"/etc/systemd/system/rootish.service":             "[Service]\nExecStart=/usr/bin/job --secret=Mq3Zr8Tk1Wp6Vb4N\n",
		"/etc/systemd/system/web.service.d/override.conf": "[Service]\nEnvironment=WEB_TOKEN=Yt6Ur3Ie9Ow2Qp5L\n",
		"/lib/systemd/system/web.service":                 "[Service]\nUser=www-data\nExecStart=/usr/bin/web\n",
		"/etc/api/env":                                    "MAIL_PASSWORD=Bv5Nc2Xz8Lk4Jh7G\n",
		"/etc/crontab":                                    "SHELL=/bin/sh\n17 * * * * backup curl -u ops:Fp9Gh2Jk5Lm8Nq3R https://nexus.example.org/\n",
		"/etc/cron.d/report":                              "API_KEY=Wd4Rf7Tg1Yh3Uj6K\n@daily reporter /usr/bin/report --token Zx6Cv9Bn2Mq5Wr8T\n",
		"/etc/cron.d/mixed":                               "DB_PASSWORD=Pl0Ok9Ij8Uh7Yg6T\n0 1 * * * alice /bin/a\n0 2 * * * bob /bin/b\n",
		"/var/spool/cron/crontabs/carol":                  "GH_TOKEN=ghp_aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6\n* * * * * curl -H \"Authorization: Bearer Rt5Yu8Io1Pa4Sd7F\" https://x.org/\n",
	})
	got := byKey(scan(t, root))
	for _, c := range []struct{ at, source, account string }{
		{"/etc/systemd/system/api.service API_TOKEN", sourceExecStart, "svc-api"},
		{"/etc/systemd/system/api.service DB_PASSWORD", sourceExecStart, "svc-api"},
		{"/etc/systemd/system/api.service SERVICE_TOKEN", sourceEnvironment, "svc-api"},
		{"/etc/api/env MAIL_PASSWORD", sourceEnvironmentFile, "svc-api"},
		{"/etc/systemd/system/rootish.service SECRET", sourceExecStart, "root"},
		{"/etc/systemd/system/web.service.d/override.conf WEB_TOKEN", sourceEnvironment, "www-data"},
		{"/etc/crontab CURL_USER_PASSWORD", sourceCronCommand, "backup"},
		{"/etc/cron.d/report API_KEY", sourceCronEnvironment, "reporter"},
		{"/etc/cron.d/report TOKEN", sourceCronCommand, "reporter"},
		{"/var/spool/cron/crontabs/carol GH_TOKEN", sourceCronEnvironment, "carol"},
		{"/var/spool/cron/crontabs/carol AUTHORIZATION_BEARER_TOKEN", sourceCronCommand, "carol"},
	} {
		e := got[c.at]
		if e == nil {
			t.Errorf("%s: not reported", c.at)
			continue
		}
		if e.Attrs["source"] != c.source || e.Account != c.account {
			t.Errorf("%s: source %q account %q, want %q %q", c.at, e.Attrs["source"], e.Account, c.source, c.account)
		}
	}
	// Jobs of several users share the table's environment: no one of them
	// is its account, so it is not guessed.
	if e := got["/etc/cron.d/mixed DB_PASSWORD"]; e == nil || e.Account == "alice" || e.Account == "bob" {
		t.Errorf("a shared cron environment was given one job's user: %+v", e)
	}
}

func TestCronUser(t *testing.T) {
	for line, want := range map[string]string{
		"0 3 * * * root /bin/x": "root",
		"@reboot deploy /bin/y": "deploy",
		"*/5 * * * *":           "",
		"@hourly":               "",
	} {
		if u, _ := cronUser(shellWords(line)); u != want {
			t.Errorf("%q: user %q, want %q", line, u, want)
		}
	}
}
