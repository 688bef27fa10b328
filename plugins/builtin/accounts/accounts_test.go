package accounts

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nhiradar/nhiradar/plugins/sdk"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
	"github.com/nhiradar/nhiradar/plugins/sdk/hostfs"
)

func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for p, body := range files {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestSudoersIncludesAliasesAndContinuations(t *testing.T) {
	root := tree(t, map[string]string{
		"etc/sudoers": "Defaults env_reset\nUser_Alias BUILDERS = jenkins, %ci\nRunas_Alias APP = appsvc\n" +
			"BUILDERS ALL=(APP) NOPASSWD: /usr/bin/make, \\\n   /usr/bin/docker\n#includedir /etc/sudoers.d\n",
		"etc/sudoers.d/10-ops":          "ops ALL=(ALL) ALL\n",
		"etc/sudoers.d/ignored.rpmsave": "mallory ALL=(ALL) NOPASSWD: ALL\n",
		"etc/sudoers.d/skip~":           "mallory ALL=(ALL) NOPASSWD: ALL\n",
	})
	rules := Sudoers(hostfs.New(root))
	if len(rules) != 2 {
		t.Fatalf("want 2 rules (files with '.' or '~' are skipped), got %+v", rules)
	}
	r := rules[0]
	if strings.Join(r.Who, ",") != "jenkins,%ci" || strings.Join(r.RunAs, ",") != "appsvc" || !r.NoPasswd || !strings.Contains(r.Text, "/usr/bin/docker") {
		t.Errorf("aliases or continuation not applied: %+v", r)
	}
	if rules[1].File != "/etc/sudoers.d/10-ops" || strings.Join(rules[1].RunAs, ",") != "ALL" {
		t.Errorf("included rule: %+v", rules[1])
	}
}

// TestPeopleAreNotReported uses no login.defs (defaults 1000..60000).
func TestPeopleAreNotReported(t *testing.T) {
	root := tree(t, map[string]string{
		"etc/passwd": "root:x:0:0:root:/root:/bin/bash\n" +
			"dana:x:1000:1000:Dana Scully,,,:/home/dana:/bin/bash\n" +
			"reports:x:1001:1001:Reports:/srv/reports:/bin/bash\n" +
			"build-bot:x:1002:1002::/home/build-bot:/bin/bash\n" +
			"mysql:x:112:120:MySQL Server,,,:/nonexistent:/bin/false\n",
		"etc/group":                        "sudo:x:27:dana,reports\n",
		"etc/sudoers":                      "%sudo ALL=(ALL:ALL) ALL\n",
		"var/spool/cron/crontabs/reports":  "0 6 * * * /srv/reports/run\n",
		"var/spool/cron/crontabs/dana":     "0 7 * * * /home/dana/bin/backup-photos\n",
		"lib/systemd/system/mysql.service": "[Service]\nUser=mysql\n",
	})
	var got []*event.Event
	err := Plugin{}.Scan(context.Background(), sdk.ScanRequest{Root: root}, func(e *event.Event) error {
		got = append(got, e)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]*event.Event{}
	for _, e := range got {
		by[e.Principal] = e
	}
	if len(got) != 3 || by["dana"] != nil || by["root"] != nil {
		t.Fatalf("want reports, build-bot and mysql only, got %d: %v", len(got), by)
	}
	if a := by["reports"].Attrs; a["classified_by"] != "cron:/var/spool/cron/crontabs/reports" || a["sudo"] != "ALL=(ALL:ALL) ALL" || a["sudo_nopasswd"] != "false" {
		t.Errorf("reports: %v", a)
	}
	if a := by["mysql"].Attrs; a["classified_by"] != "system_uid,nologin_shell,systemd_unit:mysql.service" || a["home_exists"] != "false" {
		t.Errorf("mysql: %v", a)
	}
	if a := by["build-bot"].Attrs; a["classified_by"] != "service_name" {
		t.Errorf("build-bot: %v", a)
	}
}

func TestSudoRuleRedacted(t *testing.T) {
	pw := "Vq7Lm2Xr9Tz4Kp8Wd3"
	root := tree(t, map[string]string{"etc/sudoers": "backup ALL=(root) NOPASSWD: /usr/bin/mysqldump -uroot -p" + pw + " --all-databases\n"})
	rules := Sudoers(hostfs.New(root))
	if len(rules) != 1 || strings.Contains(rules[0].Text, pw) || !strings.Contains(rules[0].Text, "-p[redacted]") {
		t.Fatalf("rule text: %+v", rules)
	}
}
