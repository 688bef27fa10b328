package credfiles

import (
	"encoding/base64"
	"errors"
	"strings"

	"gopkg.in/ini.v1"

	"github.com/nhiradar/nhiradar/plugins/sdk/decoy"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

func loadINI(content []byte) (*ini.File, error) {
	f, err := ini.LoadSources(ini.LoadOptions{IgnoreInlineComment: true, AllowBooleanKeys: true, SkipUnrecognizableLines: true,
		KeyValueDelimiters: "="}, content)
	if err != nil {
		return nil, errors.New("not an INI file")
	}
	return f, nil
}

// parseNpmrc reads .npmrc: registry auth tokens (`//host/:_authToken=`),
// basic auth (`_auth=` base64 user:password) and `_password=`; principal is
// the registry host (user@host for basic auth).
func parseNpmrc(in input) ([]finding, error) {
	f, err := loadINI(in.content)
	if err != nil {
		return nil, err
	}
	var out []finding
	for _, k := range f.Section("").Keys() {
		name, v := k.Name(), strings.TrimSpace(k.Value())
		if v == "" || decoy.Placeholder(v) {
			continue
		}
		host := strings.Trim(strings.SplitN(strings.TrimPrefix(name, "//"), "/", 2)[0], ":")
		if !strings.HasPrefix(name, "//") {
			host = "registry.npmjs.org"
		}
		switch {
		case strings.HasSuffix(name, "_authToken"):
			out = append(out, finding{kind: event.KindNPMToken, principal: host, fingerprint: in.fp.Of(v), key: name})
		case strings.HasSuffix(name, "_auth"):
			raw, err := base64.StdEncoding.DecodeString(v)
			user, pass, ok := strings.Cut(string(raw), ":")
			if err != nil || !ok || decoy.Placeholder(pass) {
				continue
			}
			out = append(out, finding{kind: event.KindNPMToken, principal: user + "@" + host, fingerprint: in.fp.Of(pass), key: name})
		case strings.HasSuffix(name, "_password"):
			out = append(out, finding{kind: event.KindNPMToken, principal: host, fingerprint: in.fp.Of(v), key: name})
		}
	}
	return out, nil
}

// parsePypirc reads .pypirc: each repository section's password or API
// token (principal user@repository).
func parsePypirc(in input) ([]finding, error) {
	f, err := loadINI(in.content)
	if err != nil {
		return nil, err
	}
	var out []finding
	for _, s := range f.Sections() {
		pass := strings.TrimSpace(s.Key("password").String())
		if pass == "" || decoy.Placeholder(pass) {
			continue
		}
		user := s.Key("username").String()
		attrs := map[string]string{"repository": s.Name()}
		if r := s.Key("repository").String(); r != "" {
			attrs["url"] = r
		}
		out = append(out, finding{kind: event.KindPyPIToken, principal: user + "@" + s.Name(), fingerprint: in.fp.Of(pass), key: "password", attrs: attrs})
	}
	return out, nil
}

// parseMyCnf reads .my.cnf: passwords in [client]-style sections
// (principal user@host).
func parseMyCnf(in input) ([]finding, error) {
	f, err := loadINI(in.content)
	if err != nil {
		return nil, err
	}
	var out []finding
	for _, s := range f.Sections() {
		pass := strings.Trim(strings.TrimSpace(s.Key("password").String()), `"'`)
		if pass == "" || decoy.Placeholder(pass) {
			continue
		}
		host := s.Key("host").MustString("localhost")
		user := s.Key("user").String()
		out = append(out, finding{kind: event.KindMySQLPassword, principal: user + "@" + host, fingerprint: in.fp.Of(pass),
			key: "password", attrs: map[string]string{"section": s.Name()}})
	}
	return out, nil
}
