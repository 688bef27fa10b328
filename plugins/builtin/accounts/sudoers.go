package accounts

import (
	"path"
	"sort"
	"strings"

	"github.com/nhiradar/nhiradar/plugins/builtin/internal/secretrules"
	"github.com/nhiradar/nhiradar/plugins/sdk/hostfs"
)

// Rule is one sudoers user specification, reduced to what governance needs.
type Rule struct {
	// Who is the user list as written (user names, %groups, aliases expanded).
	Who []string
	// RunAs lists the accounts the rule lets Who become ("root" when omitted).
	RunAs []string
	// NoPasswd is true for a NOPASSWD: tag.
	NoPasswd bool
	// Text is the specification after the user list, e.g. "ALL=(root) NOPASSWD: ALL".
	Text string
	// File is the host path the rule is in.
	File string
}

// maxIncludes bounds @include recursion.
const maxIncludes = 8

// Sudoers reads /etc/sudoers and the files it includes.
func Sudoers(root hostfs.Root) []Rule {
	p := &sudoParser{root: root, aliases: map[string][]string{}, seen: map[string]bool{}}
	p.file("/etc/sudoers", 0)
	return p.rules
}

type sudoParser struct {
	root    hostfs.Root
	aliases map[string][]string
	rules   []Rule
	seen    map[string]bool
}

func (p *sudoParser) file(name string, depth int) {
	if depth > maxIncludes || p.seen[name] {
		return
	}
	p.seen[name] = true
	for _, line := range logicalLines(p.root, name) {
		p.line(name, line, depth)
	}
}

func (p *sudoParser) dir(name string, depth int) {
	entries, err := readDirNames(p.root, name)
	if err != nil {
		return
	}
	sort.Strings(entries)
	for _, e := range entries {
		// sudo skips names ending in '~' or containing a '.'.
		if strings.HasSuffix(e, "~") || strings.Contains(e, ".") {
			continue
		}
		p.file(path.Join(name, e), depth+1)
	}
}

func (p *sudoParser) line(file, line string, depth int) {
	fields := strings.Fields(line)
	if len(fields) == 0 {
		return
	}
	switch fields[0] {
	case "#includedir", "@includedir":
		if len(fields) > 1 {
			p.dir(fields[1], depth)
		}
		return
	case "#include", "@include":
		if len(fields) > 1 {
			p.file(fields[1], depth+1)
		}
		return
	case "User_Alias", "Runas_Alias":
		name, list, ok := strings.Cut(strings.TrimSpace(strings.TrimPrefix(line, fields[0])), "=")
		if ok {
			p.aliases[strings.TrimSpace(name)] = splitList(list)
		}
		return
	}
	if strings.HasPrefix(line, "#") || strings.HasPrefix(fields[0], "Defaults") || strings.HasSuffix(fields[0], "_Alias") {
		return
	}
	spec := strings.TrimPrefix(line, fields[0])
	// Commands in a rule may carry a password (mysql -p…): redact them.
	r := Rule{Who: p.expand(splitList(fields[0])), Text: secretrules.Redact(strings.TrimSpace(spec)), File: file, RunAs: []string{"root"}}
	if open := strings.Index(r.Text, "("); open >= 0 {
		if end := strings.Index(r.Text[open:], ")"); end > 0 {
			users, _, _ := strings.Cut(r.Text[open+1:open+end], ":")
			if runas := p.expand(splitList(users)); len(runas) > 0 {
				r.RunAs = runas
			}
		}
	}
	r.NoPasswd = strings.Contains(r.Text, "NOPASSWD:")
	p.rules = append(p.rules, r)
}

func (p *sudoParser) expand(list []string) []string {
	var out []string
	for _, v := range list {
		if a, ok := p.aliases[v]; ok {
			out = append(out, a...)
			continue
		}
		out = append(out, v)
	}
	return out
}

func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// logicalLines joins backslash continuations and drops blank lines and
// comments (but keeps the #include forms).
func logicalLines(root hostfs.Root, file string) []string {
	var out []string
	var cur strings.Builder
	root.EachLine(file, maxConfigFile, maxLine, func(_ int, b []byte) error {
		line := strings.TrimSpace(string(b))
		if strings.HasSuffix(line, `\`) {
			if cur.Len()+len(line) > maxLine {
				cur.Reset() // a continued line past the limit is as long as one
				root.Note(file, &hostfs.LinesSkipped{Path: file, Lines: 1, Max: maxLine})
				return nil
			}
			cur.WriteString(strings.TrimSuffix(line, `\`) + " ")
			return nil
		}
		cur.WriteString(line)
		l := strings.TrimSpace(cur.String())
		cur.Reset()
		if l == "" || (strings.HasPrefix(l, "#") && !strings.HasPrefix(l, "#include")) {
			return nil
		}
		out = append(out, l)
		return nil
	})
	return out
}
