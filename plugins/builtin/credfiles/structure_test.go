package credfiles

import (
	"encoding/base64"
	"testing"
)

// TestStructureBeatsShape: a value in a field the format defines as a
// credential is reported whatever it looks like (a Heroku API key is a
// UUID, a database password may be a short word); placeholders are not.
func TestStructureBeatsShape(t *testing.T) {
	heroku := "5f9d2c4e-8a1b-4c3d-9e7f-0a1b2c3d4e5f"
	docker := base64.StdEncoding.EncodeToString([]byte("ci:" + heroku))
	root := plant(t, map[string]string{
		"/home/alice/.netrc": "machine api.heroku.com login alice@acme-corp.com password " + heroku + "\n" +
			"machine git.heroku.com login alice@acme-corp.com password changeme\n" +
			"machine tmpl.acme-corp.com login bot password ${NETRC_PASSWORD}\n",
		"/home/alice/.pgpass":             "db1:5432:app:app:hunt\ndb2:5432:app:app:<password>\ndb3:5432:app:app:xxx\n",
		"/home/alice/.my.cnf":             "[client]\nuser=backup\npassword=pw4db\n[mysqldump]\nuser=dump\npassword=password\n",
		"/home/alice/.git-credentials":    "https://bob:kX9q@git.acme-corp.com\nhttps://bob:%24%7BTOKEN%7D@other.acme-corp.com\n",
		"/home/alice/.docker/config.json": `{"auths":{"registry.acme-corp.com":{"auth":"` + docker + `"}}}`,
		"/etc/cron.d/ping":                "* * * * * root curl -u ops:Wq7 https://x.acme-corp.com/\n",
	})
	got := map[string]bool{}
	for _, e := range scan(t, root) {
		got[e.Location+" "+e.Principal] = true
	}
	for _, want := range []string{
		"/home/alice/.netrc alice@acme-corp.com@api.heroku.com",
		"/home/alice/.pgpass app@db1:5432/app",
		"/home/alice/.my.cnf backup@localhost",
		"/home/alice/.git-credentials bob@git.acme-corp.com",
		"/home/alice/.docker/config.json ci@registry.acme-corp.com",
		"/etc/cron.d/ping ",
	} {
		if !got[want] {
			t.Errorf("%s: a credential in a credential field was dropped", want)
		}
	}
	for _, decoy := range []string{
		"/home/alice/.netrc alice@acme-corp.com@git.heroku.com",
		"/home/alice/.netrc bot@tmpl.acme-corp.com",
		"/home/alice/.pgpass app@db2:5432/app",
		"/home/alice/.pgpass app@db3:5432/app",
		"/home/alice/.my.cnf dump@localhost",
		"/home/alice/.git-credentials bob@other.acme-corp.com",
	} {
		if got[decoy] {
			t.Errorf("%s: a placeholder was reported", decoy)
		}
	}
}

// TestPrincipalBesideSecretInEnv: an env file's secret reports the
// principal named beside it (DB_USER next to DB_PASSWORD, FOO_KEY_ID next
// to FOO_SECRET), and none when the file names none.
func TestPrincipalBesideSecretInEnv(t *testing.T) {
	root := plant(t, map[string]string{
		"/srv/app/.env": "DB_USER=billing_app\nDB_PASSWORD=Hx7Lp2Qw9Rt4Yb6N\nSTORAGE_KEY_ID=key-7781\n" +
			"STORAGE_SECRET=Mq3Zr8Tk1Wp6Vb4NcX9e\nCLIENT_ID=app-42\nCLIENT_SECRET=Wd4Rf7Tg1Yh3Uj6KpL0o\nMAIL_PASSWORD=Bv5Nc2Xz8Lk4Jh7G\n",
	})
	got := byKey(scan(t, root))
	for key, want := range map[string]string{"DB_PASSWORD": "billing_app", "STORAGE_SECRET": "key-7781",
		"CLIENT_SECRET": "app-42", "MAIL_PASSWORD": ""} {
		e := got["/srv/app/.env "+key]
		if e == nil || e.Principal != want {
			t.Errorf("%s: got %+v, want principal %q", key, e, want)
		}
	}
}
