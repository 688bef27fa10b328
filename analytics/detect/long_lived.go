package detect

import (
	"context"
	"iter"
	"strconv"

	"github.com/nhiradar/nhiradar/analytics/findings"
)

// passwordKinds rotate on the password clock (PCI DSS 8.3.9: 90 days).
var passwordKinds = map[string]bool{"password": true, "netrc_password": true, "postgres_password": true,
	"mysql_password": true, "git_credential": true}

// long_lived reads its age from identities.sql (identity_age_state: the
// earliest created_at — JWT iat, certificate notBefore, file ctime — and
// modified_at the hosts reported). An identity with no host
// age evidence is not judged: first_seen would only say when the collector
// heard of it. OS accounts have no secret to rotate.
func detectLongLived(_ context.Context, _ Source, env *Env) (iter.Seq[*Finding], error) {
	return evalLongLived(env), nil
}

func evalLongLived(env *Env) iter.Seq[*Finding] {
	return func(yield func(*Finding) bool) {
		for _, id := range env.sorted() {
			age := id.Age()
			if !id.StillPresent || !set(age) || id.Kind == "os_service_account" {
				continue
			}
			t := env.thresholds(id)
			limit, what := t.MaxAge, "static keys and tokens"
			if passwordKinds[id.Kind] {
				limit, what = t.MaxPasswordAge, "passwords"
			}
			if env.Now.Sub(age) <= limit {
				continue
			}
			if !send(yield, env.emit(findings.LongLived, id, "", nil,
				strconv.Itoa(days(env.Now.Sub(age)))+" days old (policy: at most "+strconv.Itoa(days(limit))+" days for "+what+
					"): the earliest creation or file time its hosts report is "+day(age))) {
				return
			}
		}
	}
}
