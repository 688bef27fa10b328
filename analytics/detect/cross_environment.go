package detect

import (
	"context"
	"fmt"
	"iter"
	"sort"
	"strings"

	"github.com/nhiradar/nhiradar/analytics/findings"
)

func detectCrossEnvironment(_ context.Context, _ Source, env *Env) (iter.Seq[*Finding], error) {
	return evalCrossEnvironment(env, env.spreads()), nil
}

// evalCrossEnvironment: the same secret on hosts of two or more of the
// policy's environments (OWASP NHI8). Hosts no environment names do not
// count: they prove nothing about isolation.
func evalCrossEnvironment(env *Env, facts []spread) iter.Seq[*Finding] {
	return func(yield func(*Finding) bool) {
		for _, s := range facts {
			id, hosts := env.presentOn(s)
			if id == nil {
				continue
			}
			byEnv := map[string][]string{}
			for _, h := range hosts {
				if e := env.Policy.Environment(h); e != "" {
					byEnv[e] = append(byEnv[e], h)
				}
			}
			if len(byEnv) < 2 {
				continue
			}
			names := make([]string, 0, len(byEnv))
			for e := range byEnv {
				names = append(names, e)
			}
			sort.Strings(names)
			parts := make([]string, len(names))
			for i, e := range names {
				parts[i] = e + " (" + strings.Join(byEnv[e], ", ") + ")"
			}
			if !send(yield, env.emit(findings.CrossEnvironment, id, "", nil,
				fmt.Sprintf("the same secret (matched by keyed fingerprint, not shown) is in %d environments: %s",
					len(names), strings.Join(parts, "; ")))) {
				return
			}
		}
	}
}
