// Package decoy tells real secrets from the strings that only look like one:
// documentation example keys, placeholders, template variables, hashes,
// UUIDs and repeated characters. Every discovery plugin asks it before it
// reports a secret, so the whole product has one notion of noise.
//
// Value and InContext judge pattern matches in free text, where shape is
// all there is to go on. Placeholder judges values of fields a format
// defines as credentials, where structure has already decided: only
// placeholders are noise there.
package decoy

import (
	"regexp"
	"strings"
)

// exampleKeys are the credentials vendors print in their documentation.
var exampleKeys = map[string]bool{
	"AKIAIOSFODNN7EXAMPLE":                     true,
	"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY": true,
	"AKIAI44QH8DHBEXAMPLE":                     true,
	"je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY": true,
	"ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx": true,
}

// placeholderWords mark a value someone is meant to replace. Matched
// case-insensitively anywhere in the value.
var placeholderWords = []string{
	"example", "changeme", "change-me", "change_me", "your-", "your_", "yourapikey", "your api",
	"placeholder", "replace", "redacted", "dummy", "sample", "insert", "todo", "fixme",
	"xxxx", "****", "....", "<", ">", "${", "{{", "$(", "%(", "fake", "notasecret", "not-a-secret",
	"secret_here", "token_here", "key_here", "password_here", "s3cr3t",
}

// exactPlaceholders are whole values that are never a real secret.
var exactPlaceholders = map[string]bool{
	"password": true, "passwd": true, "secret": true, "token": true, "test": true, "testing": true,
	"admin": true, "root": true, "none": true, "null": true, "nil": true, "true": true, "false": true,
	"default": true, "foobar": true, "foo": true, "bar": true, "123456": true, "12345678": true,
	"qwerty": true, "letmein": true, "sk-...": true, "sk-": true, "-": true, "*": true,
}

var (
	uuidRe   = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	hexRe    = regexp.MustCompile(`^[0-9a-fA-F]+$`)
	envRefRe = regexp.MustCompile(`^\$[A-Za-z_][A-Za-z0-9_]*$|^%[A-Za-z_][A-Za-z0-9_]*%$`)
	// cryptHashRe matches crypt(3) and bcrypt/argon hashes: stored password
	// hashes, not credentials one could use.
	cryptHashRe = regexp.MustCompile(`^\$(1|2[abxy]?|5|6|y|argon2(id|i|d)?|pbkdf2[-\w]*|scrypt)\$`)
	// hashHint are variable or line words that say a hex value is a digest.
	hashHint = regexp.MustCompile(`(?i)sha\d*|md5|digest|checksum|hash|sum\b|integrity|commit|revision|etag`)
)

// Value reports whether a secret value is a decoy by itself.
func Value(v string) bool {
	s := strings.TrimSpace(v)
	if len(s) < 6 || exampleKeys[s] {
		return true
	}
	l := strings.ToLower(s)
	if exactPlaceholders[l] {
		return true
	}
	for _, w := range placeholderWords {
		if strings.Contains(l, w) {
			return true
		}
	}
	if uuidRe.MatchString(s) || envRefRe.MatchString(s) || cryptHashRe.MatchString(s) || repeated(s) {
		return true
	}
	return false
}

// structuralPlaceholders are whole values that stand for a secret in a
// field a format defines as one: the field's own name, or nothing.
var structuralPlaceholders = map[string]bool{
	"password": true, "passwd": true, "secret": true, "token": true, "none": true, "null": true, "nil": true,
	"sk-...": true, "sk-": true, "-": true, "*": true,
}

// bracketRe is a value in angle brackets, the documentation's "<token>".
var bracketRe = regexp.MustCompile(`^<[^<>]*>$`)

// Placeholder reports whether a value in a field the file format defines
// as a credential (a .netrc password, a Docker auth, an Authorization
// header) is a placeholder: empty, a template or variable reference, a
// documented example, a word such as changeme, or one repeated character.
// Unlike Value it does not judge by shape: in such a field a UUID (Heroku's
// API keys) or a short word is a credential.
func Placeholder(v string) bool {
	s := strings.TrimSpace(v)
	l := strings.ToLower(s)
	if s == "" || exampleKeys[s] || structuralPlaceholders[l] || bracketRe.MatchString(s) || envRefRe.MatchString(s) {
		return true
	}
	for _, w := range placeholderWords {
		if w != "<" && w != ">" && strings.Contains(l, w) {
			return true
		}
	}
	return oneChar(s)
}

// oneChar reports a value made of one repeated character ("xxx", "****").
func oneChar(s string) bool {
	return strings.Trim(s, s[:1]) == ""
}

// InContext reports whether a value is a decoy given the name it is stored
// under (a variable or field name) or the line around it: a hex string named
// like a digest is a hash, not a key.
func InContext(v, context string) bool {
	if Value(v) {
		return true
	}
	s := strings.TrimSpace(v)
	if hexRe.MatchString(s) && (len(s) == 32 || len(s) == 40 || len(s) == 64 || len(s) == 128) && hashHint.MatchString(context) {
		return true
	}
	return false
}

// Path reports whether a file is a test fixture or documentation by its path:
// its secrets are examples, not credentials.
func Path(p string) bool {
	l := strings.ToLower(p)
	for _, seg := range []string{"/testdata/", "/fixtures/", "/fixture/", "/__tests__/", "/test/fixtures/", "/examples/", "/doc/", "/docs/", "/man/"} {
		if strings.Contains(l, seg) {
			return true
		}
	}
	if vendorFixture(l) {
		return true
	}
	base := l[strings.LastIndex(l, "/")+1:]
	for _, suf := range []string{".example", ".sample", ".template", ".tmpl", ".dist", ".md", ".rst", "_test.go", ".test.js", ".spec.js", "_test.py"} {
		if strings.HasSuffix(base, suf) {
			return true
		}
	}
	return strings.HasPrefix(base, "test_") || strings.Contains(base, "example")
}

// vendorTrees are directories that hold third-party code: package caches,
// installed packages and toolchains.
var vendorTrees = []string{"/node_modules/", "/site-packages/", "/dist-packages/", "/vendor/", "/go/pkg/mod/",
	"/.cargo/registry/", "/.cargo/git/", "/gems/", "/.m2/repository/", "/.pyenv/versions/", "/usr/local/go/",
	"/usr/lib/go/", "/.rustup/toolchains/", "/.nvm/versions/"}

// fixtureDirs hold a project's tests: inside a vendor tree their keys and
// certificates are fixtures (CPython's test/certdata, Go's testdata).
var fixtureDirs = []string{"/test/", "/tests/", "/testdata/", "/certdata/", "/fixtures/"}

// pythonLib is an interpreter's standard library (lib/python3.12/).
var pythonLib = regexp.MustCompile(`/lib/python[0-9][0-9.]*/`)

// vendorFixture reports a lower-cased path in a fixture directory inside a
// vendor tree or a Python standard library.
func vendorFixture(l string) bool {
	at := -1
	for _, v := range vendorTrees {
		if i := strings.Index(l, v); i >= 0 && (at < 0 || i < at) {
			at = i
		}
	}
	if loc := pythonLib.FindStringIndex(l); loc != nil && (at < 0 || loc[0] < at) {
		at = loc[0]
	}
	if at < 0 {
		return false
	}
	for _, f := range fixtureDirs {
		if strings.Contains(l[at+1:], f) {
			return true
		}
	}
	return false
}

// repeated reports values made of one or two distinct characters ("aaaaaa", "0000").
func repeated(s string) bool {
	seen := map[rune]bool{}
	for _, r := range s {
		seen[r] = true
		if len(seen) > 2 {
			return false
		}
	}
	return true
}
