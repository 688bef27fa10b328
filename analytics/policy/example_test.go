package policy

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestExamplePolicy keeps packaging/policy/policy.yaml loadable and meaning what its comments say.
func TestExamplePolicy(t *testing.T) {
	p, err := Load(filepath.Join("..", "..", "packaging", "policy", "policy.yaml"))
	if err != nil {
		t.Fatalf("example policy: %v", err)
	}
	now := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	if s := p.Summarize(now); s.Owners != 7 || s.OwnerRules != 4 || s.Exceptions != 1 || s.Expired != 0 {
		t.Fatalf("summary %+v", s)
	}

	key := Identity{Kind: "aws_access_key", Principal: "AKIAEXAMPLE", Locations: []string{"/home/asmith/.aws/credentials"}}
	prod, web := p.Thresholds(key, "prod-api-1"), p.Thresholds(key, "web-1")
	if prod.DormantAfter != 45*day || prod.MaxAge != 60*day || prod.ReviewEvery != 90*day || prod.ExpiringWithin != 21*day {
		t.Fatalf("aws key in prod: %+v", prod)
	}
	if web.DormantAfter != 90*day || web.MaxAge != 365*day || web.ReviewEvery != 180*day {
		t.Fatalf("aws key outside environments: %+v", web)
	}
	if got := p.Thresholds(Identity{Kind: "ssh_private_key"}, "db.prod.example.com").MaxAge; got != 90*day {
		t.Fatalf("ssh key in prod: max_age %v, want 90d", got)
	}
	if o := p.Owner(key); o.Owner != "asmith" || o.Status != "active" {
		t.Fatalf("owner by home: %+v", o)
	}
	if o := p.Owner(Identity{Kind: "api_key", Locations: []string{"/srv/payments/app/.env"}}); o.Owner != "payments" || !strings.Contains(o.Reason, "policy.yaml:34") {
		t.Fatalf("owner by rule: %+v", o)
	}
	if o := p.Owner(Identity{OwnerHints: []string{"email:riya.khan@example.com"}}); o.Status != "departed" || o.Manager != "jlee" {
		t.Fatalf("departed owner: %+v", o)
	}
	if p.Enabled("dormant", key, "dev-7") || !p.Enabled("dormant", key, "prod-api-1") {
		t.Fatal("dormant should be off in dev and on in prod")
	}
	if p.Ticketing.System != "local" || p.Ticketing.QueueByEnvironment["prod"] != "nhi-prod" || p.Ticketing.DueDays["critical"] != 2 {
		t.Fatalf("ticketing %+v", p.Ticketing)
	}

	mainframe := Identity{Kind: "password", Principal: "svc_batch", Hosts: []string{"prod-mainframe-1"}}
	if e := p.Exempt("long_lived", mainframe, "prod-mainframe-1", now); !e.Applies || !strings.Contains(e.Why, "VEND-1432") || !strings.Contains(e.Why, "mbrown") {
		t.Fatalf("vendor exception: %+v", e)
	}
	// The same exception does not count for a password mbrown owns himself.
	mine := mainframe
	mine.OwnerHints = []string{"owner:mbrown"}
	if e := p.Exempt("long_lived", mine, "prod-mainframe-1", now); e.Applies || !strings.Contains(e.Why, "separation of duties") {
		t.Fatalf("self-approved exception: %+v", e)
	}
	if e := p.Exempt("long_lived", mainframe, "prod-mainframe-1", time.Date(2027, 4, 1, 0, 0, 0, 0, time.UTC)); e.Applies || !strings.Contains(e.Why, "expired on 2027-03-31") {
		t.Fatalf("after expiry: %+v", e)
	}
}
