package policy

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Person is one row of the owner directory: a person or a team.
type Person struct {
	ID, Name, Email, Type, Status, Manager string
	Line                                   int
}

// Directory is the owner directory loaded from owners.directory.
type Directory struct {
	File string
	byID map[string]*Person
	rows []*Person
}

// Get returns the directory entry for id.
func (d *Directory) Get(id string) (*Person, bool) {
	p, ok := d.byID[id]
	return p, ok
}

var dirColumns = []string{"id", "name", "email", "type", "status", "manager"}

// loadDirectory reads the CSV; errs are mistakes in it, err is a file that cannot be read.
func loadDirectory(path string) (d *Directory, errs Errors, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("open owner directory: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = len(dirColumns)
	r.TrimLeadingSpace = true
	d = &Directory{File: path, byID: map[string]*Person{}}
	for first := true; ; first = false {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
			}
			return d, append(errs, &Error{File: path, Line: line, Msg: err.Error()}), nil
		}
		if first {
			if strings.Join(rec, ",") != strings.Join(dirColumns, ",") {
				errs = append(errs, &Error{File: path, Line: line, Msg: "header must be " + strings.Join(dirColumns, ",")})
			}
			continue
		}
		p := &Person{ID: rec[0], Name: rec[1], Email: rec[2], Type: rec[3], Status: rec[4], Manager: rec[5], Line: line}
		errs = append(errs, d.add(p)...)
	}
	return d, append(errs, d.checkManagers()...), nil
}

func (d *Directory) add(p *Person) Errors {
	var errs Errors
	bad := func(key, msg string) { errs = append(errs, &Error{File: d.File, Line: p.Line, Key: key, Msg: msg}) }
	if p.ID == "" {
		bad("id", "must not be empty")
	} else if _, dup := d.byID[p.ID]; dup {
		bad("id", fmt.Sprintf("%q is listed twice", p.ID))
	}
	if p.Type != "person" && p.Type != "team" {
		bad("type", fmt.Sprintf("must be person or team but got %q", p.Type))
	}
	if p.Status != "active" && p.Status != "departed" {
		bad("status", fmt.Sprintf("must be active or departed but got %q", p.Status))
	}
	d.byID[p.ID] = p
	d.rows = append(d.rows, p)
	return errs
}

func (d *Directory) checkManagers() Errors {
	var errs Errors
	for _, p := range d.rows {
		if p.Manager == "" {
			continue
		}
		if _, ok := d.byID[p.Manager]; !ok {
			errs = append(errs, &Error{File: d.File, Line: p.Line, Key: "manager", Msg: fmt.Sprintf("unknown directory id %q", p.Manager)})
		}
	}
	return errs
}

// byAccount finds the entry whose id, or e-mail local part, is a host account name.
func (d *Directory) byAccount(account string) (*Person, bool) {
	if p, ok := d.byID[account]; ok {
		return p, true
	}
	for _, p := range d.rows {
		if local, _, ok := strings.Cut(p.Email, "@"); ok && strings.EqualFold(local, account) {
			return p, true
		}
	}
	return nil, false
}

func (d *Directory) byHint(hint string) (*Person, bool) {
	if p, ok := d.byID[hint]; ok {
		return p, true
	}
	for _, p := range d.rows {
		if p.Email != "" && strings.EqualFold(p.Email, hint) {
			return p, true
		}
	}
	return nil, false
}

type ownerRule struct {
	m     matcher
	owner string
	line  int
}

// systemAccounts own files on every host without owning what is in them.
var systemAccounts = map[string]bool{"root": true, "daemon": true, "bin": true, "sys": true,
	"nobody": true, "adm": true, "admin": true, "system": true, "wheel": true, "_www": true}

// Owner resolves ownership: owner rules first (first match wins), then what the
// host says: owner hints, then the person whose account owns the file, holds the
// identity or whose home holds it. A root-owned file outside any home has no owner:
// root is where things land, not who is accountable for them.
func (p *Policy) Owner(id Identity) Ownership {
	for _, r := range p.ownerRules {
		if r.m.matches(id, "") {
			return p.ownership(r.owner, fmt.Sprintf("owner rule at %s:%d", p.File, r.line))
		}
	}
	for _, h := range id.OwnerHints {
		if per, ok := p.Directory.byHint(hintValue(h)); ok {
			return p.ownership(per.ID, fmt.Sprintf("owner hint %q", h))
		}
	}
	if o, ok := p.accountOwner("file owner", id.FileOwners); ok {
		return o
	}
	if o, ok := p.accountOwner("account", id.Accounts); ok {
		return o
	}
	for _, loc := range id.Locations {
		if acct := homeAccount(loc); acct != "" && !systemAccounts[acct] {
			if per, ok := p.Directory.byAccount(acct); ok {
				return p.ownership(per.ID, fmt.Sprintf("home directory of %q holds %s", acct, loc))
			}
		}
	}
	return Ownership{Status: "none", Reason: "no owner rule, owner hint, file owner or home directory matched"}
}

func (p *Policy) accountOwner(what string, accounts []string) (Ownership, bool) {
	for _, acct := range accounts {
		if systemAccounts[acct] {
			continue
		}
		if per, ok := p.Directory.byAccount(acct); ok {
			return p.ownership(per.ID, fmt.Sprintf("%s %q", what, acct)), true
		}
	}
	return Ownership{}, false
}

// hintValue takes the person out of a hint as hosts write them: "owner:alice",
// "email:alice@example.com", an annotation "Owner=alice" or
// "nhiradar.io/owner=alice", or just "alice".
func hintValue(h string) string {
	i := strings.IndexAny(h, ":=")
	if i < 0 {
		return strings.TrimSpace(h)
	}
	k := strings.ToLower(h[:i])
	if j := strings.LastIndexAny(k, "/."); j >= 0 {
		k = k[j+1:]
	}
	switch k {
	case "owner", "email", "mail", "contact", "maintainer", "team":
		return strings.TrimSpace(h[i+1:])
	}
	return strings.TrimSpace(h)
}

func (p *Policy) ownership(id, reason string) Ownership {
	o := Ownership{Owner: id, Status: "active", Reason: reason}
	if per, ok := p.Directory.Get(id); ok && per.Status == "departed" {
		o.Status, o.Manager = "departed", per.Manager
	}
	return o
}

// homeAccount returns the account whose home holds path: /home/<name>/…,
// /Users/<name>/… or /root/….
func homeAccount(path string) string {
	for _, prefix := range []string{"/home/", "/Users/"} {
		if rest, ok := strings.CutPrefix(path, prefix); ok {
			if name, _, ok := strings.Cut(rest, "/"); ok && name != "" {
				return name
			}
		}
	}
	if strings.HasPrefix(path, "/root/") {
		return "root"
	}
	return ""
}
