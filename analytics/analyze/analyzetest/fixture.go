// Package analyzetest is a small fleet with planted problems, in phases at
// chosen times, for the analysis tests of analytics/analyze and nhictl.
package analyzetest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nhiradar/nhiradar/analytics/policy"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// T0 is the first analysis.
var T0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

func day(n int) time.Time { return T0.Add(time.Duration(n) * 24 * time.Hour) }

// The fixture's raw secrets: no output may contain them.
const (
	SecretReused  = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYFIXTURE01"
	SecretCmdline = "sk_live_FIXTURE_cmdline_secret_0001"
	SecretToken   = "eyFIXTUREkubetokenvalue0001"
	SecretHealthy = "hEaLtHyFIXTUREsecretvalue00000000000001"
)

// Secrets lists every raw secret of the fixture.
var Secrets = []string{SecretReused, SecretCmdline, SecretToken, SecretHealthy}

// Fingerprint is the fixture organisation's HMAC of a secret.
func Fingerprint(secret string) string {
	m := hmac.New(sha256.New, []byte("fixture-org-key"))
	m.Write([]byte(secret))
	return hex.EncodeToString(m.Sum(nil))
}

// Identity keys of the planted identities.
var (
	KeyReused  = event.IdentityKey(event.KindAWSAccessKey, "AKIAFIXTUREREUSED001", Fingerprint(SecretReused), "prod-web-1")
	KeyDeploy  = event.IdentityKey(event.KindSSHAuthorizedKey, "SHA256:fixturedeploykey", "", "prod-web-2")
	KeyJenkins = event.IdentityKey(event.KindOSServiceAccount, "jenkins", "", "build-1")
	KeyWorker  = event.IdentityKey(event.KindAPIKey, "worker-api", Fingerprint(SecretCmdline), "build-1")
	KeyToken   = event.IdentityKey(event.KindKubernetesToken, "alice@stg", Fingerprint(SecretToken), "stg-app-1")
	KeyHealthy = event.IdentityKey(event.KindAWSAccessKey, "AKIAFIXTUREHEALTHY01", Fingerprint(SecretHealthy), "prod-web-2")
)

const policyYAML = `version: 1
environments:
  production: ["prod-*"]
  staging: ["stg-*"]
owners:
  directory: owners.csv
  rules:
    - match: {path: "/home/deploy/**"}
      owner: bob
    - match: {kind: os_service_account}
      owner: alice
    - match: {host: "build-*"}
      owner: alice
    - match: {path: "/home/alice/**"}
      owner: alice
    - match: {path: "/srv/app/**"}
      owner: alice
rules:
  cross_environment:
    severity: critical
`

const ownersCSV = `id,name,email,type,status,manager
alice,Alice Liddell,alice@example.com,person,active,carol
bob,Bob Marley,bob@example.com,person,BOB,carol
carol,Carol Danvers,carol@example.com,person,active,
`

// exceptionYAML accepts human use of jenkins on build hosts until
// 2026-03-06 (between the first and the last analysis).
const exceptionYAML = `exceptions:
  approvers: [carol]
  list:
    - rule: human_use
      match: {host: "build-*"}
      reason: break-glass during the CI migration (CHG-7)
      approver: carol
      expires: "2026-03-06"
`

// PolicyFile writes the fixture's policy and directory (bob departed, no
// exceptions) into a temporary directory and returns the policy's path.
func PolicyFile(t testing.TB) string { return PolicyVariant(t, true, false) }

// PolicyVariant writes the policy with bob departed or active, and with or
// without the human_use exception.
func PolicyVariant(t testing.TB, bobDeparted, exception bool) string {
	t.Helper()
	dir := t.TempDir()
	status, doc := "active", policyYAML
	if bobDeparted {
		status = "departed"
	}
	if exception {
		doc += exceptionYAML
	}
	csv := strings.Replace(ownersCSV, "BOB", status, 1)
	if err := os.WriteFile(filepath.Join(dir, "owners.csv"), []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Policy loads the fixture's policy.
func Policy(t testing.TB) *policy.Policy {
	t.Helper()
	p, err := policy.Load(PolicyFile(t))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Phase is the events that arrive before one analysis at Now.
type Phase struct {
	Now    time.Time
	Events []*event.Event
}

func complete(e *event.Event, host string, at time.Time) *event.Event {
	e.Time = at
	e.Complete("agent-"+host, host, at)
	return e
}

func ptr(t time.Time) *time.Time { return &t }

type obs struct {
	host, plugin, location, mode, owner, account string
	kind                                         event.Kind
	principal, secret                            string
	modified, expires                            time.Time
	attrs                                        map[string]string
}

func (o obs) event(at time.Time) *event.Event {
	e := &event.Event{Type: event.TypeNHIObserved, Plugin: o.plugin, ScanID: event.NewID(), Kind: o.kind,
		Principal: o.principal, Location: o.location, FileMode: o.mode, FileOwner: o.owner, Account: o.account,
		Attrs: o.attrs}
	if o.secret != "" {
		e.Fingerprint = Fingerprint(o.secret)
	}
	if !o.modified.IsZero() {
		e.ModifiedAt = ptr(o.modified)
	}
	if !o.expires.IsZero() {
		e.ExpiresAt = ptr(o.expires)
	}
	return complete(e, o.host, at)
}

func scan(host, plugin string, started time.Time, seen ...string) *event.Event {
	e := &event.Event{Type: event.TypeScanCompleted, Plugin: plugin, ScanID: event.NewID(),
		Scan: &event.Scan{Full: true, StartedAt: started, FinishedAt: started.Add(time.Minute), Seen: append([]string{}, seen...), Part: 1, Parts: 1}}
	return complete(e, host, started.Add(time.Minute))
}

func use(host string, kind event.Kind, principal, account string, ev event.Evidence, actor string, at time.Time) *event.Event {
	e := &event.Event{Type: event.TypeUsageEvidence, Plugin: "authlog", Kind: kind, Principal: principal, Account: account,
		Evidence: ev, Source: "/var/log/auth.log", Actor: actor, UsedAt: ptr(at)}
	return complete(e, host, at)
}

var (
	reusedProd = obs{host: "prod-web-1", plugin: "credfiles", location: "/root/.aws/credentials", mode: "0644", owner: "root",
		account: "root", kind: event.KindAWSAccessKey, principal: "AKIAFIXTUREREUSED001", secret: SecretReused, modified: day(-700)}
	reusedStg = obs{host: "stg-app-1", plugin: "credfiles", location: "/root/.aws/credentials", mode: "0600", owner: "root",
		account: "root", kind: event.KindAWSAccessKey, principal: "AKIAFIXTUREREUSED001", secret: SecretReused, modified: day(-700)}
	token = obs{host: "stg-app-1", plugin: "credfiles", location: "/home/alice/.kube/config", mode: "0600", owner: "alice",
		account: "alice", kind: event.KindKubernetesToken, principal: "alice@stg", secret: SecretToken, modified: day(-5), expires: day(7)}
	deploy = obs{host: "prod-web-2", plugin: "sshkeys", location: "/home/deploy/.ssh/authorized_keys", mode: "0600", owner: "deploy",
		account: "deploy", kind: event.KindSSHAuthorizedKey, principal: "SHA256:fixturedeploykey", modified: day(-30)}
	healthy = obs{host: "prod-web-2", plugin: "credfiles", location: "/srv/app/.aws/credentials", mode: "0600", owner: "app",
		account: "app", kind: event.KindAWSAccessKey, principal: "AKIAFIXTUREHEALTHY01", secret: SecretHealthy, modified: day(-10)}
	jenkins = obs{host: "build-1", plugin: "accounts", location: "/etc/passwd", account: "jenkins", kind: event.KindOSServiceAccount,
		principal: "jenkins", attrs: map[string]string{"uid": "998", "gid": "998", "groups": "jenkins,docker",
			"sudo": "ALL=(ALL) NOPASSWD: ALL", "sudo_nopasswd": "true", "shell": "/bin/bash", "home": "/var/lib/jenkins"}}
	worker = obs{host: "build-1", plugin: "processes", location: "process:/usr/bin/worker", account: "jenkins", kind: event.KindAPIKey,
		principal: "worker-api", secret: SecretCmdline,
		attrs: map[string]string{"source": "cmdline", "pid": "4242", "name": "worker", "user": "jenkins", "exe": "/usr/bin/worker"}}
)

// Phases: 1, the fleet's first scans (analysed at T0); 2, full scans of
// prod-web-1 and stg-app-1 no longer list the reused key (analysed at
// T0+2d); 3, it is back on prod-web-1 only (T0+4d); 4, no new events, the
// token has expired (T0+10d).
func Phases() []Phase {
	at := day(0).Add(-time.Hour)
	first := []*event.Event{
		reusedProd.event(at), reusedStg.event(at), token.event(at), deploy.event(at), healthy.event(at),
		jenkins.event(at), worker.event(at),
		scan("prod-web-1", "credfiles", at, KeyReused),
		scan("stg-app-1", "credfiles", at, KeyReused, KeyToken),
		scan("prod-web-2", "credfiles", at, KeyHealthy),
		scan("prod-web-2", "sshkeys", at, KeyDeploy),
		scan("build-1", "accounts", at, KeyJenkins),
		scan("build-1", "processes", at, KeyWorker),
		// The auth log of prod-web-2 reaches back 400 days; the deploy key was last used 120 days ago.
		use("prod-web-2", event.KindSSHAuthorizedKey, "SHA256:someoneelse", "app", event.EvidenceSSHLogin, "198.51.100.9", day(-400)),
		use("prod-web-2", event.KindSSHAuthorizedKey, "SHA256:fixturedeploykey", "deploy", event.EvidenceSSHLogin, "198.51.100.7", day(-120)),
		use("prod-web-2", event.KindSSHAuthorizedKey, "SHA256:someoneelse", "app", event.EvidenceSSHLogin, "198.51.100.9", day(-1)),
		// A person sudo'd into jenkins two days ago.
		use("build-1", event.KindOSServiceAccount, "jenkins", "jenkins", event.EvidenceSudo, "alice", day(-2)),
	}
	second := []*event.Event{
		token.event(day(1)),
		scan("prod-web-1", "credfiles", day(1)),
		scan("stg-app-1", "credfiles", day(1), KeyToken),
	}
	third := []*event.Event{
		reusedProd.event(day(3)),
		scan("prod-web-1", "credfiles", day(3), KeyReused),
	}
	return []Phase{{day(0), first}, {day(2), second}, {day(4), third}, {day(10), nil}}
}
