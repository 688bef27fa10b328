package policy

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// envPrefix is lines 1-4 of most cases, so each case's own lines start at 5.
const envPrefix = "version: 1\nenvironments:\n  prod: [\"prod-*\"]\n  dev: [\"dev-*\"]\n"

func loadErrors(t *testing.T, src string) Errors {
	t.Helper()
	_, err := Parse("p.yaml", []byte(src), "testdata")
	if err == nil {
		return nil
	}
	var es Errors
	if !errors.As(err, &es) {
		t.Fatalf("error is %T, want Errors: %v", err, err)
	}
	return es
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name string
		src  string
		// want is "file:line key" for every error, in order.
		want []string
		msg  string // a fragment of the first message
	}{
		{"version", "version: 2\n", []string{"p.yaml:1 version"}, "must be 1"},
		{"profile", envPrefix + "profile: lax\n", []string{"p.yaml:5 profile"}, "default or strict"},
		{"empty environment", "version: 1\nenvironments:\n  prod: []\n", []string{"p.yaml:3 environments.prod"}, "at least one"},
		{"environment glob", "version: 1\nenvironments:\n  prod: [\"prod-*\", \"[ab]\"]\n", []string{"p.yaml:3 environments.prod[1]"}, "character classes"},
		{"directory missing", envPrefix + "owners:\n  directory: nope.csv\n  rules:\n    - match: {host: \"prod-*\"}\n      owner: alice\n",
			[]string{"p.yaml:6 owners.directory"}, "open owner directory"},
		{"directory rows", envPrefix + "owners:\n  directory: badowners.csv\n",
			[]string{"testdata/badowners.csv:2 manager", "testdata/badowners.csv:3 type", "testdata/badowners.csv:3 status"}, "unknown directory id \"zed\""},
		{"owner unknown", envPrefix + "owners:\n  directory: owners.csv\n  rules:\n    - match: {host: \"prod-*\"}\n      owner: zed\n",
			[]string{"p.yaml:9 owners.rules[0].owner"}, "\"zed\" is not an id in testdata/owners.csv"},
		{"owner missing", envPrefix + "owners:\n  directory: owners.csv\n  rules:\n    - match: {host: \"prod-*\"}\n",
			[]string{"p.yaml:8 owners.rules[0].owner"}, "is required"},
		{"owner without directory", envPrefix + "owners:\n  rules:\n    - match: {kind: aws_access_key}\n      owner: alice\n",
			[]string{"p.yaml:8 owners.rules[0].owner"}, "owners.directory is not set"},
		{"match kind typo", envPrefix + "owners:\n  directory: owners.csv\n  rules:\n    - match:\n        kind: \"aws_acess_*\"\n      owner: alice\n",
			[]string{"p.yaml:9 owners.rules[0].match.kind"}, "matches no known kind"},
		{"match glob", envPrefix + "owners:\n  directory: owners.csv\n  rules:\n    - match: {path: \"/etc/[ab]\"}\n      owner: alice\n",
			[]string{"p.yaml:8 owners.rules[0].match.path"}, "character classes"},
		{"threshold zero", envPrefix + "thresholds:\n  dormant_after: 0d\n  reuse_max_hosts: 0\n",
			[]string{"p.yaml:6 thresholds.dormant_after", "p.yaml:7 thresholds.reuse_max_hosts"}, "greater than 0"},
		{"threshold durations", envPrefix + "thresholds:\n  max_age: 90x\n  dormant_after: soon\noverrides:\n  - environment: prod\n    thresholds: {review_every: -3d}\n",
			[]string{"p.yaml:6 thresholds.max_age", "p.yaml:7 thresholds.dormant_after", "p.yaml:10 overrides[0].thresholds.review_every"}, "\"90x\" is not a duration"},
		{"policy errors before directory errors", envPrefix + "owners:\n  directory: badowners.csv\n  rules:\n    - match: {host: \"prod-*\"}\n      owner: zed\n",
			[]string{"p.yaml:9 owners.rules[0].owner", "testdata/badowners.csv:2 manager", "testdata/badowners.csv:3 type", "testdata/badowners.csv:3 status"}, "\"zed\""},
		{"overrides", envPrefix + "overrides:\n  - environment: staging\n    thresholds:\n      dormant_after: 30d\n" +
			"  - kind: aws_key\n    thresholds: {max_age: 90d}\n  - thresholds: {max_age: 90d}\n" +
			"  - environment: prod\n    kind: aws_access_key\n    thresholds: {reuse_max_hosts: 0}\n",
			[]string{"p.yaml:6 overrides[0].environment", "p.yaml:9 overrides[1].kind", "p.yaml:11 overrides[2]", "p.yaml:14 overrides[3].thresholds.reuse_max_hosts"},
			"unknown environment \"staging\""},
		{"rules", envPrefix + "rules:\n  dormant:\n    severity: urgent\n  bogus:\n    enabled: false\n" +
			"  expired:\n    when: 'identity.kidn == \"x\"'\n  reused:\n    when: host\n  long_lived:\n    when: identity.kind == 1\n",
			[]string{"p.yaml:7 rules.dormant.severity", "p.yaml:8 rules.bogus", "p.yaml:11 rules.expired.when", "p.yaml:13 rules.reused.when", "p.yaml:15 rules.long_lived.when"},
			"must be critical, high, medium or low but got \"urgent\""},
		{"when syntax", envPrefix + "rules:\n  dormant:\n    when: 'environment == '\n", []string{"p.yaml:7 rules.dormant.when"}, "Syntax error"},
		{"when unknown field", envPrefix + "rules:\n  dormant:\n    when: 'identity.kidn == \"x\"'\n", []string{"p.yaml:7 rules.dormant.when"}, "undefined field 'kidn' (expression 1:9)"},
		{"when not a string", envPrefix + "rules:\n  dormant:\n    when: [a]\n", []string{"p.yaml:7 rules.dormant.when"}, "CEL expression"},
		{"exceptions", envPrefix + "owners:\n  directory: owners.csv\nexceptions:\n  approvers: [carol, zed]\n  list:\n" +
			"    - rule: dormant\n      reason: \"\"\n      expires: 2026-13-01\n" +
			"    - rule: bogus\n      reason: r\n      approver: carol\n      expires: \"2027-01-01\"\n" +
			"    - reason: r\n      approver: carol\n      expires: \"2027-01-01\"\n      match: {kind: nope}\n",
			[]string{"p.yaml:8 exceptions.approvers[1]", "p.yaml:10 exceptions.list[0].approver", "p.yaml:11 exceptions.list[0].reason",
				"p.yaml:12 exceptions.list[0].expires", "p.yaml:13 exceptions.list[1].rule", "p.yaml:17 exceptions.list[2].rule",
				"p.yaml:20 exceptions.list[2].match.kind"},
			"\"zed\" is not an id or e-mail"},
		{"blanket exception", envPrefix + "exceptions:\n  list:\n    - rule: \"*\"\n      reason: r\n      approver: carol\n      expires: \"2027-01-01\"\n",
			[]string{"p.yaml:7 exceptions.list[0].match"}, "required when rule is \"*\""},
		{"ticketing", envPrefix + "ticketing:\n  system: remedy\n  due_days: {high: 0, urgent: 3}\n  priority:\n    critical: \"\"\n" +
			"  queue_by_owner: {zed: q}\n  queue_by_environment: {staging: q}\n",
			[]string{"p.yaml:6 ticketing.system", "p.yaml:7 ticketing.due_days.high", "p.yaml:7 ticketing.due_days.urgent",
				"p.yaml:9 ticketing.priority.critical", "p.yaml:10 ticketing.queue_by_owner.zed", "p.yaml:11 ticketing.queue_by_environment.staging"},
			"must be local, rt, servicenow, jira or webhook but got \"remedy\""},
		{"ticketing review knobs", envPrefix + "ticketing:\n  queue_by_severity: {urgent: q}\n  no_response: accept\n",
			[]string{"p.yaml:6 ticketing.queue_by_severity.urgent", "p.yaml:7 ticketing.no_response"}, "not a severity (critical, high, medium, low)"},
		{"ticketing url required", envPrefix + "ticketing:\n  system: jira\n", []string{"p.yaml:5 ticketing.url"}, "required for system jira"},
		{"ticketing url bad", envPrefix + "ticketing:\n  system: webhook\n  url: ftp://x\n", []string{"p.yaml:7 ticketing.url"}, "not an http(s) URL"},
		{"ticketing local url", envPrefix + "ticketing:\n  system: local\n  url: https://x\n", []string{"p.yaml:7 ticketing.url"}, "local tickets"},
		{"ticketing unknown key", envPrefix + "ticketing:\n  sytem: local\n", []string{"p.yaml:6 sytem"}, "unknown field"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			es := loadErrors(t, c.src)
			var got []string
			for _, e := range es {
				got = append(got, fmt.Sprintf("%s:%d %s", e.File, e.Line, e.Key))
			}
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Fatalf("errors:\n%s\nwant:\n%s\nfull:\n%v", strings.Join(got, "\n"), strings.Join(c.want, "\n"), es)
			}
			if !strings.Contains(es[0].Msg, c.msg) {
				t.Fatalf("first message %q does not contain %q", es[0].Msg, c.msg)
			}
		})
	}
}

func TestParseAcceptsMinimal(t *testing.T) {
	p, err := Parse("p.yaml", []byte(envPrefix), "testdata")
	if err != nil {
		t.Fatal(err)
	}
	if p.Environment("prod-7") != "prod" || p.Environment("web-1") != "" {
		t.Fatalf("environments: prod-7=%q web-1=%q", p.Environment("prod-7"), p.Environment("web-1"))
	}
}
