package sshkeys

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"

	"golang.org/x/crypto/ssh"
)

// AuthorizedKey is one entry of an authorized_keys file.
type AuthorizedKey struct {
	Principal string
	Type      string
	Bits      int
	Comment   string
	Options   []string
	Line      int
}

// ParseAuthorizedKeys reads every valid entry of an authorized_keys file;
// comments, blank and malformed lines are skipped.
func ParseAuthorizedKeys(content []byte) []AuthorizedKey {
	var out []AuthorizedKey
	sc := bufio.NewScanner(bytes.NewReader(content))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		pk, comment, options, _, err := ssh.ParseAuthorizedKey(line)
		if err != nil {
			continue
		}
		t, bits := PublicKeyInfo(pk)
		out = append(out, AuthorizedKey{
			Principal: ssh.FingerprintSHA256(pk), Type: t, Bits: bits,
			Comment: comment, Options: options, Line: n,
		})
	}
	return out
}

func (a AuthorizedKey) attrs() map[string]string {
	m := map[string]string{"key_type": a.Type, "line": strconv.Itoa(a.Line)}
	if a.Bits > 0 {
		m["bits"] = strconv.Itoa(a.Bits)
	}
	if a.Comment != "" {
		m["comment"] = a.Comment
	}
	if len(a.Options) > 0 {
		m["options"] = strings.Join(a.Options, ",")
	}
	for _, o := range a.Options {
		name, value, hasValue := strings.Cut(o, "=")
		name = strings.ToLower(name)
		switch {
		case hasValue && (name == "command" || name == "from" || name == "principals" || name == "expiry-time"):
			m[name] = strings.Trim(value, `"`)
		case !hasValue && (name == "cert-authority" || name == "restrict"):
			m[name] = "true"
		}
	}
	return m
}
