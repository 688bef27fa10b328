package policy

import (
	"fmt"
	"time"
)

// builder turns the decoded YAML into a Policy, collecting every error.
type builder struct {
	file, baseDir string
	errs          Errors
}

func (b *builder) fail(line int, key, msg string) {
	b.errs = append(b.errs, &Error{File: b.file, Line: line, Key: key, Msg: msg})
}

func (b *builder) build(raw *fileYAML) *Policy {
	if raw.Version == nil || *raw.Version != 1 {
		b.fail(1, "version", "must be 1")
	}
	profile := raw.Profile
	if profile == "" {
		profile = "default"
	}
	p := newPolicy(b.file, profile)
	for name, globs := range raw.Environments {
		e := envGlobs{name: name}
		for _, s := range globs {
			g, err := compileGlob(s)
			if err != nil {
				b.fail(1, "environments", err.Error())
				continue
			}
			e.globs = append(e.globs, g)
		}
		p.envs = append(p.envs, e)
	}
	return p
}

type exception struct {
	line int
}

// Exempt says whether an exception covers rule on id. Not yet implemented: no exception applies.
func (p *Policy) Exempt(rule string, id Identity, host string, now time.Time) Exemption {
	return Exemption{Why: fmt.Sprintf("no exception covers %s", rule)}
}
