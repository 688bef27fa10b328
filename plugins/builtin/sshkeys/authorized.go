package sshkeys

import (
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

// ParseAuthorizedKey reads line n of an authorized_keys file; comments,
// blank and malformed lines are not entries.
func ParseAuthorizedKey(n int, line []byte) (AuthorizedKey, bool) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 || line[0] == '#' {
		return AuthorizedKey{}, false
	}
	pk, comment, options, _, err := ssh.ParseAuthorizedKey(line)
	if err != nil {
		return AuthorizedKey{}, false
	}
	t, bits := PublicKeyInfo(pk)
	return AuthorizedKey{
		Principal: ssh.FingerprintSHA256(pk), Type: t, Bits: bits,
		Comment: comment, Options: options, Line: n,
	}, true
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
