package owners

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

// Directory is the owner directory. The zero value is an empty directory.
type Directory struct {
	File string
	byID map[string]*Person
	rows []*Person
	// byEmail and byLocal index rows by lower-cased e-mail and e-mail local
	// part, the first row winning: an analysis asks them of every account
	// and hint of a fleet's identities.
	byEmail, byLocal map[string]*Person
}

// Problem is a mistake in the directory CSV, at a line and column name.
type Problem struct {
	Line int
	Key  string
	Msg  string
}

// Columns is the directory CSV's header.
var Columns = []string{"id", "name", "email", "type", "status", "manager"}

// Load reads the directory CSV. problems are mistakes in it (the directory
// holds what could be read); err is a file that cannot be opened.
func Load(path string) (d *Directory, problems []Problem, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("open owner directory: %w", err)
	}
	defer f.Close()
	d, problems = parse(path, f)
	return d, problems, nil
}

func parse(path string, in io.Reader) (*Directory, []Problem) {
	r := csv.NewReader(in)
	r.FieldsPerRecord = len(Columns)
	r.TrimLeadingSpace = true
	d := &Directory{File: path, byID: map[string]*Person{}}
	var problems []Problem
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
			return d, append(problems, Problem{Line: line, Msg: err.Error()})
		}
		if first {
			if strings.Join(rec, ",") != strings.Join(Columns, ",") {
				problems = append(problems, Problem{Line: line, Msg: "header must be " + strings.Join(Columns, ",")})
			}
			continue
		}
		p := &Person{ID: rec[0], Name: rec[1], Email: rec[2], Type: rec[3], Status: rec[4], Manager: rec[5], Line: line}
		problems = append(problems, d.add(p)...)
	}
	return d, append(problems, d.checkManagers()...)
}

func (d *Directory) add(p *Person) []Problem {
	var out []Problem
	bad := func(key, msg string) { out = append(out, Problem{Line: p.Line, Key: key, Msg: msg}) }
	if p.ID == "" {
		bad("id", "must not be empty")
	} else if _, dup := d.byID[p.ID]; dup {
		bad("id", fmt.Sprintf("%q is listed twice", p.ID))
	}
	if p.Type != "person" && p.Type != "team" {
		bad("type", fmt.Sprintf("must be person or team but got %q", p.Type))
	}
	if p.Status != Active && p.Status != Departed {
		bad("status", fmt.Sprintf("must be active or departed but got %q", p.Status))
	}
	d.byID[p.ID] = p
	d.rows = append(d.rows, p)
	d.index(p)
	return out
}

func (d *Directory) index(p *Person) {
	if p.Email == "" {
		return
	}
	if d.byEmail == nil {
		d.byEmail, d.byLocal = map[string]*Person{}, map[string]*Person{}
	}
	email := strings.ToLower(p.Email)
	if _, ok := d.byEmail[email]; !ok {
		d.byEmail[email] = p
	}
	if local, _, ok := strings.Cut(email, "@"); ok {
		if _, ok := d.byLocal[local]; !ok {
			d.byLocal[local] = p
		}
	}
}

func (d *Directory) checkManagers() []Problem {
	var out []Problem
	for _, p := range d.rows {
		if p.Manager == "" {
			continue
		}
		if _, ok := d.byID[p.Manager]; !ok {
			out = append(out, Problem{Line: p.Line, Key: "manager", Msg: fmt.Sprintf("unknown directory id %q", p.Manager)})
		}
	}
	return out
}

// Len is the number of people and teams.
func (d *Directory) Len() int { return len(d.byID) }

// Get returns the directory entry for id.
func (d *Directory) Get(id string) (*Person, bool) {
	p, ok := d.byID[id]
	return p, ok
}

// Find returns the entry a person is named by: its id or its e-mail.
func (d *Directory) Find(idOrEmail string) (*Person, bool) {
	if p, ok := d.byID[idOrEmail]; ok {
		return p, true
	}
	p, ok := d.byEmail[strings.ToLower(idOrEmail)]
	return p, ok
}

// byAccount finds the entry whose id, or e-mail local part, is a host account name.
func (d *Directory) byAccount(account string) (*Person, bool) {
	if p, ok := d.byID[account]; ok {
		return p, true
	}
	p, ok := d.byLocal[strings.ToLower(account)]
	return p, ok
}
