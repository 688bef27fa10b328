package owners

import (
	"strings"
	"testing"
)

const directoryCSV = `id,name,email,type,status,manager
alice,Alice Liddell,alice@example.com,person,active,carol
bob,Bob Marley,bob@example.com,person,departed,carol
carol,Carol Danvers,carol@example.com,person,active,
dave,Dave Grohl,dgrohl@example.com,person,active,carol
platform,Platform Team,platform@example.com,team,active,carol
erin,Erin Brockovich,erin@example.com,person,departed,frank
frank,Frank Zappa,frank@example.com,person,departed,carol
gina,Gina Torres,gina@example.com,person,departed,hank
hank,Hank Moody,hank@example.com,person,departed,
ivan,Ivan Drago,ivan@example.com,person,departed,judy
judy,Judy Hopps,judy@example.com,person,departed,ivan
`

func directory(t *testing.T) *Directory {
	t.Helper()
	d, problems := parse("owners.csv", strings.NewReader(directoryCSV))
	if len(problems) > 0 {
		t.Fatalf("directory problems: %+v", problems)
	}
	return d
}

// rules select on the path alone: what a policy rule would match.
var rules = []Rule[Facts]{
	{Owner: "platform", Source: "p.yaml:5", Match: func(f Facts) bool {
		return len(f.Locations) > 0 && strings.HasPrefix(f.Locations[0], "/srv/payments/")
	}},
	{Owner: "dave", Source: "p.yaml:7", Match: func(f Facts) bool {
		return len(f.Locations) > 0 && strings.HasPrefix(f.Locations[0], "/srv/")
	}},
}

func TestResolve(t *testing.T) {
	d := directory(t)
	cases := []struct {
		name                   string
		f                      Facts
		owner, status, manager string
		reason                 string
	}{
		{"rule wins over hints", Facts{Locations: []string{"/srv/payments/.env"}, Hints: []string{"owner:alice"}, FileOwners: []string{"alice"}},
			"platform", Active, "", "owner rule at p.yaml:5"},
		{"first matching rule", Facts{Locations: []string{"/srv/web/.env"}}, "dave", Active, "", "owner rule at p.yaml:7"},
		{"hint before file owner", Facts{Hints: []string{"owner:zed", "owner:alice"}, FileOwners: []string{"dave"}},
			"alice", Active, "", `owner hint "owner:alice"`},
		{"hint by e-mail", Facts{Hints: []string{"email:DGrohl@example.com"}}, "dave", Active, "", `owner hint "email:DGrohl@example.com"`},
		{"Owner= annotation", Facts{Hints: []string{"Owner=carol"}}, "carol", Active, "", `owner hint "Owner=carol"`},
		{"X-Owner= annotation", Facts{Hints: []string{"X-Owner=alice@example.com"}}, "alice", Active, "", `owner hint "X-Owner=alice@example.com"`},
		{"unit X-Owner= as credfiles emits it", Facts{Hints: []string{"x-owner:platform"}}, "platform", Active, "", `owner hint "x-owner:platform"`},
		{"prefixed annotation", Facts{Hints: []string{"nhiradar.io/owner=platform"}}, "platform", Active, "", "owner hint"},
		{"other hints are not owners", Facts{Hints: []string{"aws_profile:alice", "comment:alice"}}, "", None, "", "no owner rule"},
		{"file owner person", Facts{FileOwners: []string{"root", "alice"}, Locations: []string{"/opt/app/key.pem"}},
			"alice", Active, "", `file owner "alice"`},
		{"account by e-mail local part", Facts{Accounts: []string{"dgrohl"}}, "dave", Active, "", `account "dgrohl"`},
		{"home holder", Facts{FileOwners: []string{"root"}, Locations: []string{"/home/dgrohl/.ssh/id_ed25519"}},
			"dave", Active, "", `home directory of "dgrohl" holds /home/dgrohl/.ssh/id_ed25519`},
		{"macOS home holder", Facts{Locations: []string{"/Users/alice/.aws/credentials"}}, "alice", Active, "", `home directory of "alice"`},
		{"root-owned outside homes", Facts{FileOwners: []string{"root"}, Accounts: []string{"root"}, Locations: []string{"/etc/ssl/private/web.key"}},
			"", None, "", "no owner rule, owner hint, file owner or home directory matched"},
		{"root's home", Facts{FileOwners: []string{"root"}, Locations: []string{"/root/.aws/credentials"}}, "", None, "", "no owner"},
		{"system accounts are nobody's", Facts{FileOwners: []string{"daemon", "nobody"}, Accounts: []string{"bin"}}, "", None, "", "no owner"},
		{"departed goes to the manager", Facts{Hints: []string{"owner:bob"}}, "bob", Departed, "carol", `owner hint "owner:bob"`},
		{"departed manager: the next one up", Facts{FileOwners: []string{"erin"}}, "erin", Departed, "carol",
			`file owner "erin"; manager frank departed too, remediation goes up to carol`},
		{"departed chain ends", Facts{Accounts: []string{"gina"}}, "gina", Departed, "", "manager hank departed too, no active manager above"},
		{"manager loop ends", Facts{Accounts: []string{"ivan"}}, "ivan", Departed, "", "manager judy departed too, no active manager above"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := Resolve(d, rules, c.f, c.f)
			if o.Owner != c.owner || o.Status != c.status || o.Manager != c.manager || !strings.Contains(o.Reason, c.reason) {
				t.Fatalf("Resolve = %+v, want owner %q status %q manager %q reason ~%q", o, c.owner, c.status, c.manager, c.reason)
			}
		})
	}
}

// An empty directory resolves nobody: every identity is ownerless.
func TestResolveEmptyDirectory(t *testing.T) {
	f := Facts{Hints: []string{"owner:alice"}, FileOwners: []string{"alice"}, Locations: []string{"/home/alice/.env"}}
	if o := Resolve(&Directory{}, nil, f, f); o.Status != None || o.Owner != "" {
		t.Fatalf("Resolve with an empty directory = %+v, want none", o)
	}
}

func TestParseProblems(t *testing.T) {
	_, problems := parse("owners.csv", strings.NewReader("id,name,email,type,status,manager\n"+
		"alice,A,a@x,person,gone,zed\nalice,A,a@x,robot,active,\n"))
	got := make([]string, len(problems))
	for i, p := range problems {
		got[i] = strings.Join([]string{string(rune('0' + p.Line)), p.Key, p.Msg}, " ")
	}
	want := []string{
		`2 status must be active or departed but got "gone"`,
		`3 id "alice" is listed twice`,
		`3 type must be person or team but got "robot"`,
		`2 manager unknown directory id "zed"`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestFind(t *testing.T) {
	d := directory(t)
	for _, s := range []string{"alice", "ALICE@example.com"} {
		if p, ok := d.Find(s); !ok || p.ID != "alice" {
			t.Errorf("Find(%q) = %v, %v; want alice", s, p, ok)
		}
	}
	if _, ok := d.Find("alice@evil.example"); ok {
		t.Error("Find matched a foreign e-mail")
	}
	if d.Len() != 11 {
		t.Errorf("Len = %d, want 11", d.Len())
	}
}

func TestLoad(t *testing.T) {
	d, problems, err := Load("../policy/testdata/owners.csv")
	if err != nil || len(problems) > 0 || d.Len() != 5 {
		t.Fatalf("Load = %d people, %+v, %v; want 5, none, nil", d.Len(), problems, err)
	}
	if _, _, err := Load("testdata/absent.csv"); err == nil || !strings.Contains(err.Error(), "open owner directory") {
		t.Fatalf("Load of a missing file: err = %v", err)
	}
}
