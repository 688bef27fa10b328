package detect

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nhiradar/nhiradar/analytics/findings"
	"github.com/nhiradar/nhiradar/analytics/owners"
)

func check(t *testing.T, name string, got []*Finding, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if g := ids(got); !slices.Equal(g, want) {
		t.Fatalf("%s: findings %v, want %v", name, g, want)
	}
	for _, f := range got {
		if len(f.Evidence) == 0 || f.Policy == "" || f.Severity == "" {
			t.Fatalf("%s: finding without evidence, policy or severity: %+v", name, f)
		}
		for _, e := range f.Evidence {
			if strings.Contains(e, "fp") && !strings.Contains(e, "fingerprint") {
				t.Fatalf("%s: evidence names the fingerprint: %q", name, e)
			}
		}
	}
}

func TestDormant(t *testing.T) {
	auth := func(host string, first, last int) usageSource {
		return usageSource{Host: host, Evidence: "ssh_login", Source: "/var/log/auth.log", First: daysAgo(first), Last: daysAgo(last)}
	}
	used := func(id *Identity, d int) *Identity {
		id.LastUsed, id.LastEvidence, id.LastSource = StampOf(daysAgo(d)), "ssh_login", "/var/log/auth.log"
		return id
	}
	old := func(id *Identity, d int) *Identity { id.ModifiedAt = StampOf(daysAgo(d)); return id }
	cases := []struct {
		name    string
		id      *Identity
		sources []usageSource
		want    []string
		unobs   bool
	}{
		{"used long ago, logs cover", used(ident("a", "ssh_authorized_key", "h1"), 120), []usageSource{auth("h1", 400, 1)}, []string{"a"}, false},
		{"used recently", used(ident("a", "ssh_authorized_key", "h1"), 10), []usageSource{auth("h1", 400, 1)}, nil, false},
		{"logs reach back 10 days only", used(ident("a", "ssh_authorized_key", "h1"), 120), []usageSource{auth("h1", 10, 1)}, nil, true},
		{"no source at all", old(ident("a", "aws_access_key", "h1"), 700), nil, nil, true},
		{"source on another host", used(ident("a", "ssh_authorized_key", "h1"), 120), []usageSource{auth("h2", 400, 1)}, nil, true},
		{"wrong evidence type for the kind", old(ident("a", "aws_access_key", "h1"), 700), []usageSource{auth("h1", 400, 1)}, nil, true},
		{"source stopped before the window", used(ident("a", "ssh_authorized_key", "h1"), 120), []usageSource{auth("h1", 400, 100)}, nil, true},
		{"never used, known 2 years, file_access covers", old(ident("a", "aws_access_key", "h1"), 700),
			[]usageSource{{Host: "h1", Evidence: "file_access", Source: "atime of /srv on h1", First: daysAgo(60), Last: daysAgo(1)}}, []string{"a"}, false},
		{"never used, known 5 days", ident("a", "ssh_authorized_key", "h1"), []usageSource{auth("h1", 400, 1)}, nil, false},
	}
	for _, c := range cases {
		env := envOf(nil, c.id)
		check(t, c.name, slices.Collect(evalDormant(env, c.sources)), c.want...)
		if _, ok := env.Unobservable(c.id.NHIID); ok != c.unobs {
			t.Fatalf("%s: unobservable = %v, want %v", c.name, ok, c.unobs)
		}
	}
	env := envOf(nil, used(ident("a", "ssh_authorized_key", "h1"), 120))
	f := slices.Collect(evalDormant(env, []usageSource{auth("h1", 400, 1)}))[0]
	want := []string{"not used for 120 days (policy: 90): last use ssh_login was " + day(daysAgo(120)) + " in /var/log/auth.log",
		"usage source /var/log/auth.log on h1 records ssh_login since " + day(daysAgo(400)) + ", covering the whole window"}
	if !slices.Equal(f.Evidence, want) {
		t.Fatalf("dormant evidence %q\nwant %q", f.Evidence, want)
	}
	env = envOf(nil, old(ident("b", "aws_access_key", "h1"), 700))
	f = slices.Collect(evalDormant(env, []usageSource{{Host: "h1", Evidence: "file_access", Source: "atime", First: daysAgo(60), Last: daysAgo(1)}}))[0]
	if w := "never used in the 700 days since it was first known on " + day(daysAgo(700)) + " (policy: 30 days for never-used identities)"; f.Evidence[0] != w {
		t.Fatalf("never-used dormant evidence %q, want %q", f.Evidence[0], w)
	}
}

func TestOwnership(t *testing.T) {
	a, b, c := ident("a", "aws_access_key", "h1"), ident("b", "aws_access_key", "h1"), ident("c", "aws_access_key", "h1")
	gone := ident("d", "aws_access_key", "h1")
	gone.StillPresent = false
	p := &fakePolicy{owners: map[string]owners.Ownership{
		"b": {Owner: "alice", Status: "active", Reason: "owner hint"},
		"c": {Owner: "bob", Status: "departed", Manager: "carol", Reason: "file owner"},
	}}
	env := envOf(p, a, b, c, gone)
	check(t, "ownerless", slices.Collect(evalOwnerless(env)), "a")
	check(t, "owner_departed", slices.Collect(evalOwnerDeparted(env)), "c")
	f := slices.Collect(evalOwnerDeparted(env))[0]
	if f.Owner != "bob" || f.OwnerStatus != "departed" || !strings.Contains(strings.Join(f.Evidence, " "), "manager carol") {
		t.Fatalf("owner_departed %+v", f.Observation)
	}
	if env.Cleared[findings.KeyOf("ownerless", "b", "")] == "" {
		t.Fatal("an owned identity records no reason the ownerless finding cleared")
	}
	p.disabled = map[string]bool{"ownerless": true}
	check(t, "ownerless disabled", slices.Collect(evalOwnerless(envOf(p, a))))
}

func TestAgeAndExpiry(t *testing.T) {
	mk := func(n, kind string, mod, exp int) *Identity {
		id := ident(n, kind, "h1")
		if mod > 0 {
			id.ModifiedAt = StampOf(daysAgo(mod))
		}
		if exp != 0 {
			id.ExpiresAt = StampOf(daysAgo(-exp))
		}
		return id
	}
	env := envOf(nil,
		mk("key-old", "aws_access_key", 400, 0), mk("key-new", "aws_access_key", 100, 0),
		mk("pw-old", "password", 100, 0), mk("acct", "os_service_account", 4000, 0),
		mk("no-age", "aws_access_key", 0, 0), mk("gone", "aws_access_key", 0, -3),
		mk("soon", "kubernetes_token", 0, 7), mk("later", "kubernetes_token", 0, 30))
	env.Identities["no-age"].FirstSeen = StampOf(daysAgo(900)) // first_seen is not age
	check(t, "long_lived", slices.Collect(evalLongLived(env)), "key-old", "pw-old")
	check(t, "expired", slices.Collect(evalExpired(env)), "gone")
	check(t, "expiring", slices.Collect(evalExpiring(env)), "soon")
}

func TestSpread(t *testing.T) {
	env := envOf(nil, ident("one", "api_key", "h1"), ident("two", "api_key", "dev-1", "dev-2"),
		ident("x", "api_key", "prod-1", "stg-1"), ident("y", "api_key", "prod-1", "prod-2", "lab"))
	facts := []spread{{"one", []string{"h1"}}, {"two", []string{"dev-1", "dev-2"}},
		{"x", []string{"prod-1", "stg-1"}}, {"y", []string{"lab", "prod-1", "prod-2"}}}
	check(t, "reused", slices.Collect(evalReused(env, facts)), "two", "x", "y")
	check(t, "cross_environment", slices.Collect(evalCrossEnvironment(env, facts)), "x")
	f := slices.Collect(evalCrossEnvironment(env, facts))[0]
	if !strings.Contains(f.Evidence[0], "production (prod-1); staging (stg-1)") {
		t.Fatalf("cross_environment evidence %q", f.Evidence)
	}
}

func TestExposedFile(t *testing.T) {
	pub := ident("pub", "ssh_authorized_key", "h1")
	env := envOf(nil, ident("k", "aws_access_key", "h1", "h2"), pub)
	fm := func(host, nhiID, loc, mode string) fileMode {
		return fileMode{Host: host, NHIID: nhiID, Location: loc, Mode: mode, Seen: now}
	}
	facts := []fileMode{
		fm("h1", "k", "/root/.aws/credentials", "0644"), fm("h1", "k", "/srv/app/.env", "0640"),
		fm("h2", "k", "/root/.aws/credentials", "0600"), fm("h1", "pub", "/root/.ssh/authorized_keys", "0644"),
		fm("h3", "k", "/x", "0644"), // not present on h3
	}
	got := slices.Collect(evalExposedFile(env, facts))
	check(t, "exposed_file", got, "k@h1")
	if len(got[0].Locations) != 2 || !strings.Contains(got[0].Evidence[0], "readable by group and others") ||
		!strings.Contains(got[0].Evidence[1], "readable by its group") {
		t.Fatalf("exposed_file %+v", got[0].Observation)
	}
	if why := env.Cleared[findings.KeyOf("exposed_file", "k", "h2")]; !strings.Contains(why, "now has mode 0600") {
		t.Fatalf("cleared = %q", why)
	}
	owned := []fileMode{
		{Host: "h1", NHIID: "k", Location: "/home/alice/.aws/credentials", Mode: "0600", Owner: "bob", Account: "alice", Seen: now},
		{Host: "h2", NHIID: "k", Location: "/home/alice/.aws/credentials", Mode: "0600", Owner: "root", Account: "alice", Seen: now},
	}
	got = slices.Collect(evalExposedFile(envOf(nil, ident("k", "aws_access_key", "h1", "h2")), owned))
	check(t, "exposed_file by owner", got, "k@h1")
	if !strings.Contains(got[0].Evidence[0], "is owned by bob, not by alice whose credential it is") {
		t.Fatalf("owner evidence %q", got[0].Evidence)
	}
}

func TestSecretInCmdline(t *testing.T) {
	env := envOf(nil, ident("k", "api_key", "h1"))
	facts := []located{
		{"h1", "k", "process:/usr/bin/app", map[string]string{"source": "cmdline", "pid": "42", "user": "app"}},
		{"h1", "k", "process:/usr/bin/app", map[string]string{"source": "environ"}},
		{"h2", "k", "process:/usr/bin/app", map[string]string{"source": "cmdline"}},
	}
	got := slices.Collect(evalSecretInCmdline(env, facts))
	check(t, "secret_in_command_line", got, "k@h1")
	if len(got[0].Evidence) != 1 || !strings.Contains(got[0].Evidence[0], "pid 42, run by app (attrs.source=cmdline)") {
		t.Fatalf("evidence %q", got[0].Evidence)
	}
}

func TestHumanUse(t *testing.T) {
	svc := ident("svc", "os_service_account", "h1")
	svc.Principal = "jenkins"
	other := ident("deploy", "os_service_account", "h1")
	other.Principal = "deploy"
	env := envOf(nil, svc, other)
	u := func(ev, actor string, d int) accountUse {
		return accountUse{Host: "h1", NHIID: "svc", Account: "jenkins", Evidence: ev, Actor: actor, LastUsed: daysAgo(d), Source: "/var/log/auth.log"}
	}
	cases := []struct {
		name  string
		facts []accountUse
		want  []string
	}{
		{"alice sudo", []accountUse{u("sudo", "alice", 3)}, []string{"svc@h1"}},
		{"password ssh login", []accountUse{u("ssh_login", "10.0.0.5", 3)}, []string{"svc@h1"}},
		{"root su", []accountUse{u("su", "root", 3)}, nil},
		{"service account sudo", []accountUse{u("sudo", "deploy", 3)}, nil},
		{"too old", []accountUse{u("sudo", "alice", 200)}, nil},
	}
	for _, c := range cases {
		check(t, c.name, slices.Collect(evalHumanUse(env, c.facts)), c.want...)
	}
	// One finding naming both uses, in the same order whatever order the
	// server returned them in: by evidence, then actor.
	for _, facts := range [][]accountUse{{u("sudo", "alice", 3), u("su", "bob", 2)}, {u("su", "bob", 2), u("sudo", "alice", 3)}} {
		got := slices.Collect(evalHumanUse(env, facts))
		if len(got) != 1 || len(got[0].Evidence) != 2 || !strings.HasPrefix(got[0].Evidence[0], "bob ran su to jenkins on h1") ||
			!strings.HasPrefix(got[0].Evidence[1], "alice ran sudo as jenkins on h1") {
			t.Fatalf("human_use %+v", got)
		}
	}
}

func TestOverprivileged(t *testing.T) {
	mk := func(n string) *Identity { id := ident(n, "os_service_account", "h1"); id.Principal = n; return id }
	env := envOf(nil, mk("backup"), mk("toor"), mk("ci"), mk("plain"), mk("root"), mk("scoped"))
	loc := func(n string, a map[string]string) located { return located{"h1", n, "/etc/passwd", a} }
	facts := []located{
		loc("backup", map[string]string{"uid": "34", "sudo": "ALL=(ALL) NOPASSWD: ALL", "sudo_nopasswd": "true"}),
		loc("toor", map[string]string{"uid": "0"}),
		loc("ci", map[string]string{"uid": "998", "groups": "ci,docker"}),
		loc("plain", map[string]string{"uid": "999", "groups": "plain"}),
		loc("root", map[string]string{"uid": "0"}),
		loc("scoped", map[string]string{"uid": "997", "sudo": "ALL=(root) NOPASSWD: /usr/bin/systemctl restart app", "sudo_nopasswd": "true"}),
	}
	check(t, "overprivileged", slices.Collect(evalOverprivileged(env, facts)), "backup@h1", "toor@h1", "ci@h1")
	if env.Cleared[findings.KeyOf("overprivileged", "plain", "h1")] == "" {
		t.Fatal("no clearing reason for a plain account")
	}
}

func TestExemptionCarried(t *testing.T) {
	env := envOf(&fakePolicy{exempt: map[string]bool{"ownerless": true}}, ident("a", "api_key", "h1"))
	got := slices.Collect(evalOwnerless(env))
	if len(got) != 1 || !got[0].Exemption.Applies || got[0].Policy != "p.yaml:ownerless" {
		t.Fatalf("exempt finding %+v", got)
	}
}

func TestCurrentLocations(t *testing.T) {
	old, fresh := now.Add(-48*time.Hour), now
	fm := func(host, nhiID, loc, mode string, seen time.Time) fileMode {
		return fileMode{Host: host, NHIID: nhiID, Location: loc, Mode: mode, Seen: seen}
	}
	got := current([]fileMode{
		fm("h1", "k", "/old", "0644", old), fm("h1", "k", "/new", "0600", fresh), fm("h1", "k", "/new2", "0600", fresh.Add(-time.Minute)),
		fm("h2", "k", "/only", "0644", old), fm("h2", "x", "/nomode", "", fresh),
	})
	var locs []string
	for _, f := range got {
		locs = append(locs, f.Host+":"+f.Location)
	}
	if !slices.Equal(locs, []string{"h1:/new", "h1:/new2", "h2:/only"}) {
		t.Fatalf("current locations %v", locs)
	}
}

func TestSpreadOnlyPresentHosts(t *testing.T) {
	id := ident("k", "api_key", "prod-1", "stg-1")
	id.PresentHosts = []string{"prod-1"}
	env := envOf(nil, id)
	facts := []spread{{"k", []string{"prod-1", "stg-1"}}}
	check(t, "reused after removal from a host", slices.Collect(evalReused(env, facts)))
	check(t, "cross_environment after removal from a host", slices.Collect(evalCrossEnvironment(env, facts)))
}

// TestAge: the earliest of created_at and modified_at the host reported,
// zero when it reported neither.
func TestAge(t *testing.T) {
	a, b := daysAgo(700), daysAgo(300)
	cases := []struct {
		created, modified time.Time
		want              time.Time
	}{{a, b, a}, {b, a, a}, {time.Time{}, b, b}, {a, time.Time{}, a}, {time.Time{}, time.Time{}, time.Time{}}}
	for _, c := range cases {
		id := &Identity{CreatedAt: StampOf(c.created), ModifiedAt: StampOf(c.modified)}
		if got := id.Age(); !got.Equal(c.want) {
			t.Errorf("created %v, modified %v: age %v, want %v", c.created, c.modified, got, c.want)
		}
	}
}

// TestInternerLists: equal lists share one copy; lists whose elements
// joined would read alike (a host's strings may hold any byte) do not.
func TestInternerLists(t *testing.T) {
	in := newInterner()
	a := in.all([]string{"h1", "h2"})
	if b := in.all([]string{"h1", "h2"}); &a[0] != &b[0] {
		t.Errorf("equal lists not shared")
	}
	for _, l := range [][]string{{"h1\x00h2"}, {"h1\x00", "h2"}, {"h1", "\x00h2"}, {"h1h2"}, {}} {
		got := in.all(slices.Clone(l))
		if !slices.Equal(got, l) {
			t.Errorf("list %q came back %q", l, got)
		}
	}
	if got := in.all(nil); got == nil || len(got) != 0 {
		t.Errorf("empty list: %#v, want empty, not nil", got)
	}
}

// TestIdentityBlocksSorted: identities loaded in any order over several
// blocks end up in nhi_id order in place, each with its own fields.
func TestIdentityBlocksSorted(t *testing.T) {
	var b identityBlocks
	n := 3*identityBlock + 17
	for _, i := range rand.New(rand.NewPCG(1, 2)).Perm(n) {
		id := b.next()
		id.NHIID, id.Principal = fmt.Sprintf("nhi-%06d", i), fmt.Sprintf("p-%d", i)
	}
	got := b.sorted()
	if len(got) != n {
		t.Fatalf("%d identities, want %d", len(got), n)
	}
	for i, id := range got {
		if want := fmt.Sprintf("nhi-%06d", i); id.NHIID != want || id.Principal != fmt.Sprintf("p-%d", i) {
			t.Fatalf("identity %d is %s (%s), want %s", i, id.NHIID, id.Principal, want)
		}
		if id != b.at(i) {
			t.Fatalf("identity %d is not the one held at %d", i, i)
		}
	}
}

// TestDayAgreesWithFormat: the hand-spelled date is Format's, every day
// of several years and at the ends of the four-digit years.
func TestDayAgreesWithFormat(t *testing.T) {
	for _, start := range []time.Time{time.Date(1999, 12, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 1, 1, 23, 59, 59, 0, time.FixedZone("x", 5*3600)),
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 30, 0, 0, 0, 0, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)} {
		for i := 0; i < 800; i++ {
			d := start.AddDate(0, 0, i)
			if got, want := day(d), d.UTC().Format("2006-01-02"); got != want {
				t.Fatalf("day(%v) = %s, want %s", d, got, want)
			}
		}
	}
}
