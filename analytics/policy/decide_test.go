package policy

import (
	"strings"
	"testing"
	"time"
)

func mustParse(t *testing.T, src string) *Policy {
	t.Helper()
	p, err := Parse("p.yaml", []byte(src), "testdata")
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return p
}

const ownersPolicy = `version: 1
owners:
  directory: owners.csv
  rules:
    - match: {path: "/srv/payments/**"}
      owner: platform
    - match: {kind: kubernetes_service_account_token, namespace: billing}
      owner: dave
`

func TestOwner(t *testing.T) {
	p := mustParse(t, ownersPolicy)
	cases := []struct {
		name                   string
		id                     Identity
		owner, status, manager string
		reason                 string
	}{
		{"rule by path", Identity{Locations: []string{"/srv/payments/conf/.env"}, OwnerHints: []string{"owner:alice"}},
			"platform", "active", "", "owner rule at p.yaml:5"},
		{"rule by kind and namespace", Identity{Kind: "kubernetes_service_account_token", Namespace: "billing"},
			"dave", "active", "", "owner rule at p.yaml:7"},
		{"namespace must match too", Identity{Kind: "kubernetes_service_account_token", Namespace: "web"},
			"", "none", "", "no owner rule"},
		{"hint owner:", Identity{OwnerHints: []string{"owner:zed", "owner:alice"}, Locations: []string{"/home/dgrohl/.env"}},
			"alice", "active", "", `owner hint "owner:alice"`},
		{"hint email:", Identity{OwnerHints: []string{"email:dgrohl@example.com"}}, "dave", "active", "", "owner hint"},
		{"annotation Owner=", Identity{OwnerHints: []string{"Owner=carol"}}, "carol", "active", "", "owner hint"},
		{"prefixed annotation", Identity{OwnerHints: []string{"nhiradar.io/owner=platform"}}, "platform", "active", "", "owner hint"},
		{"file owner", Identity{FileOwners: []string{"root", "alice"}, Locations: []string{"/opt/app/key.pem"}},
			"alice", "active", "", `file owner "alice"`},
		{"account", Identity{Kind: "ssh_authorized_key", Accounts: []string{"carol"}}, "carol", "active", "", `account "carol"`},
		{"home by e-mail local part", Identity{FileOwners: []string{"root"}, Locations: []string{"/home/dgrohl/.ssh/id_ed25519"}},
			"dave", "active", "", `home directory of "dgrohl"`},
		{"macOS home", Identity{Locations: []string{"/Users/alice/.aws/credentials"}}, "alice", "active", "", "home directory"},
		{"root-owned outside homes", Identity{FileOwners: []string{"root"}, Locations: []string{"/etc/ssl/private/web.key"}},
			"", "none", "", "no owner rule"},
		{"root's home", Identity{FileOwners: []string{"root"}, Locations: []string{"/root/.aws/credentials"}}, "", "none", "", "no owner"},
		{"departed goes to manager", Identity{OwnerHints: []string{"owner:bob"}}, "bob", "departed", "carol", "owner hint"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := p.Owner(c.id)
			if o.Owner != c.owner || o.Status != c.status || o.Manager != c.manager || !strings.Contains(o.Reason, c.reason) {
				t.Fatalf("Owner = %+v, want owner %q status %q manager %q reason ~%q", o, c.owner, c.status, c.manager, c.reason)
			}
		})
	}
}

const exemptPolicy = `version: 1
owners:
  directory: owners.csv
  rules:
    - match: {principal: "AKIAOWNED*"}
      owner: alice
exceptions:
  approvers: [carol, alice@example.com]
  list:
    - rule: dormant
      match: {principal: "AKIAVALID*"}
      reason: break-glass key, kept offline
      approver: carol
      expires: "2027-06-30"
    - rule: dormant
      match: {principal: "AKIAOLD*"}
      reason: migration
      approver: carol
      expires: 2026-01-31
    - rule: "*"
      match: {principal: "AKIAROGUE*"}
      reason: because
      approver: dave
      expires: "2027-06-30"
    - rule: dormant
      match: {principal: "AKIAOWNED*"}
      reason: mine
      approver: alice
      expires: 2027-06-30T12:00:00Z
    - rule: long_lived
      match: {host: "prod-*"}
      reason: vendor appliance, cannot rotate
      approver: carol@example.com
      expires: "2027-01-01"
`

func TestExempt(t *testing.T) {
	p := mustParse(t, exemptPolicy)
	now := time.Date(2026, 12, 2, 13, 0, 0, 0, time.UTC)
	cases := []struct {
		name, rule, principal, host string
		now                         time.Time
		applies                     bool
		why                         string
		source                      string
	}{
		{"valid", "dormant", "AKIAVALID1", "", now, true,
			"exception at p.yaml:10: break-glass key, kept offline (approved by carol, expires 2027-06-30)", "p.yaml:10"},
		{"other rule", "long_lived", "AKIAVALID1", "web-1", now, false, "no exception covers long_lived", ""},
		{"expired", "dormant", "AKIAOLD1", "", now, false, "exception at p.yaml:15 expired on 2026-01-31", "p.yaml:15"},
		{"date holds through its day", "dormant", "AKIAOLD1", "", time.Date(2026, 1, 31, 23, 59, 0, 0, time.UTC), true, "migration", "p.yaml:15"},
		{"unauthorised approver", "reused", "AKIAROGUE1", "", now, false,
			`exception at p.yaml:20 does not count: approver "dave" is not in exceptions.approvers`, "p.yaml:20"},
		{"approver owns it", "dormant", "AKIAOWNED1", "", now, false,
			`exception at p.yaml:25 does not count: approver "alice" owns the identity (separation of duties)`, "p.yaml:25"},
		{"RFC 3339 expiry", "dormant", "AKIAOWNED1", "", time.Date(2027, 6, 30, 12, 0, 0, 0, time.UTC), false,
			"exception at p.yaml:25 expired on 2027-06-30T12:00:00Z", "p.yaml:25"},
		{"host match, e-mail approver", "long_lived", "AKIAX", "prod-db-1", now, true, "approved by carol@example.com", "p.yaml:30"},
		{"host must match", "long_lived", "AKIAX", "dev-1", now, false, "no exception covers long_lived", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := p.Exempt(c.rule, Identity{Principal: c.principal, Hosts: []string{"prod-db-1"}}, c.host, c.now)
			if e.Applies != c.applies || !strings.Contains(e.Why, c.why) || e.Source != c.source {
				t.Fatalf("Exempt = %+v, want applies=%v why ~%q source %q", e, c.applies, c.why, c.source)
			}
		})
	}
	if s := p.Summarize(now); s.Exceptions != 5 || s.Expired != 1 || s.Owners != 5 || s.OwnerRules != 1 {
		t.Fatalf("Summarize = %+v", s)
	}
}

// The approver who is the identity's owner through an e-mail is still the owner.
func TestExemptOwnerByEmail(t *testing.T) {
	p := mustParse(t, `version: 1
owners:
  directory: owners.csv
exceptions:
  approvers: [alice]
  list:
    - rule: dormant
      reason: r
      approver: alice@example.com
      expires: "2030-01-01"
`)
	e := p.Exempt("dormant", Identity{OwnerHints: []string{"owner:alice"}}, "", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if e.Applies || !strings.Contains(e.Why, "separation of duties") {
		t.Fatalf("Exempt = %+v, want refused for separation of duties", e)
	}
	e = p.Exempt("dormant", Identity{OwnerHints: []string{"owner:carol"}}, "", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if !e.Applies {
		t.Fatalf("Exempt for carol's identity = %+v, want applied", e)
	}
}

func TestThresholds(t *testing.T) {
	p := mustParse(t, `version: 1
profile: strict
environments:
  prod: ["prod-*"]
  dev: ["dev-*", "laptop-*"]
thresholds:
  expiring_within: 30d
overrides:
  - environment: prod
    kind: aws_access_key
    thresholds: {max_age: 30d}
  - environment: prod
    thresholds: {max_age: 60d, dormant_after: 30d}
  - kind: aws_access_key
    thresholds: {max_age: 75d, reuse_max_hosts: 3}
  - environment: dev
    thresholds: {dormant_after: 180d}
`)
	cases := []struct {
		kind, host              string
		dormant, maxAge, expiry time.Duration
		reuse                   int
	}{
		{"ssh_authorized_key", "web-1", 45 * day, 90 * day, 30 * day, 1},
		{"ssh_authorized_key", "prod-1", 30 * day, 60 * day, 30 * day, 1},
		{"aws_access_key", "web-1", 45 * day, 75 * day, 30 * day, 3},
		{"aws_access_key", "prod-1", 30 * day, 30 * day, 30 * day, 3},
		{"aws_access_key", "laptop-9", 180 * day, 75 * day, 30 * day, 3},
	}
	for _, c := range cases {
		got := p.Thresholds(Identity{Kind: c.kind}, c.host)
		if got.DormantAfter != c.dormant || got.MaxAge != c.maxAge || got.ExpiringWithin != c.expiry || got.ReuseMaxHosts != c.reuse {
			t.Errorf("%s on %s: %+v, want dormant %v max_age %v expiring %v reuse %d", c.kind, c.host, got, c.dormant, c.maxAge, c.expiry, c.reuse)
		}
		if got.NeverUsedAfter != 30*day {
			t.Errorf("%s on %s: never_used_after %v, want 30d (strict is never looser than default)", c.kind, c.host, got.NeverUsedAfter)
		}
	}
	if got := p.LongestDormantAfter(); got != 180*day {
		t.Errorf("longest dormant window %v, want the dev override's 180d", got)
	}
	if got := Strict().LongestDormantAfter(); got != 45*day {
		t.Errorf("strict profile's longest dormant window %v, want 45d", got)
	}
}

func TestDefaultProfile(t *testing.T) {
	want := Thresholds{DormantAfter: 90 * day, NeverUsedAfter: 30 * day, MaxAge: 365 * day, MaxPasswordAge: 90 * day,
		ExpiringWithin: 14 * day, ReviewEvery: 180 * day, ReuseMaxHosts: 1}
	if got := Default().Thresholds(Identity{}, "web-1"); got != want {
		t.Fatalf("default = %+v, want %+v", got, want)
	}
	p := mustParse(t, "version: 1\nenvironments:\n  production: [\"prod-*\"]\n")
	if got := p.Thresholds(Identity{}, "prod-1").ReviewEvery; got != 90*day {
		t.Fatalf("review in production = %v, want 90d", got)
	}
}

func TestEnvironmentOrderIsFileOrder(t *testing.T) {
	p := mustParse(t, "version: 1\nenvironments:\n  zeta: [\"prod-*\"]\n  alpha: [\"*\"]\n")
	if got := p.Environment("prod-1"); got != "zeta" {
		t.Fatalf("prod-1 in %q, want zeta (the first listed)", got)
	}
	if got := p.Environment("web-1"); got != "alpha" {
		t.Fatalf("web-1 in %q, want alpha", got)
	}
}

func TestWhen(t *testing.T) {
	p := mustParse(t, `version: 1
environments:
  prod: ["prod-*"]
rules:
  dormant:
    when: 'environment == "prod" && identity.kind != "ssh_authorized_key"'
  human_use:
    enabled: false
  reused:
    severity: critical
    when: 'identity.attrs["tier"] == "gold"'
`)
	aws, ssh := Identity{Kind: "aws_access_key"}, Identity{Kind: "ssh_authorized_key"}
	cases := []struct {
		rule string
		id   Identity
		host string
		want bool
	}{
		{"dormant", aws, "prod-1", true},
		{"dormant", ssh, "prod-1", false},
		{"dormant", aws, "web-1", false},
		{"human_use", aws, "prod-1", false},
		{"expired", aws, "web-1", true},
		{"reused", Identity{Attrs: map[string]string{"tier": "gold"}}, "", true},
		{"reused", Identity{Attrs: map[string]string{"tier": "bronze"}}, "", false},
		{"nonsense", aws, "", false},
	}
	for _, c := range cases {
		if got := p.Enabled(c.rule, c.id, c.host); got != c.want {
			t.Errorf("Enabled(%s, %s, %s) = %v, want %v", c.rule, c.id.Kind, c.host, got, c.want)
		}
	}
	// A missing attribute is a run-time error: reported, and the rule still fires.
	if _, err := p.When("reused", aws, ""); err == nil || !strings.Contains(err.Error(), "p.yaml:9") {
		t.Fatalf("When with no attrs: err = %v, want one naming p.yaml:9", err)
	}
	if !p.Enabled("reused", aws, "") {
		t.Fatal("a failing condition hid the rule")
	}
	if p.Severity("reused", aws, "") != "critical" || p.Severity("dormant", aws, "") != "medium" {
		t.Fatalf("severities: reused %s dormant %s", p.Severity("reused", aws, ""), p.Severity("dormant", aws, ""))
	}
	if p.Source("dormant") != "p.yaml:5" || p.Source("expired") != "defaults" {
		t.Fatalf("sources: dormant %s expired %s", p.Source("dormant"), p.Source("expired"))
	}
	if s := p.Summarize(time.Now()); s.Rules != 3 {
		t.Fatalf("rules configured = %d, want 3", s.Rules)
	}
}
