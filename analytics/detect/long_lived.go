package detect

import (
	"context"
	"iter"
	"strconv"
	"time"

	"github.com/nhiradar/nhiradar/analytics/findings"
)

// password says whether a kind rotates on the password clock (PCI DSS
// 8.3.9: 90 days).
func password(kind string) bool {
	switch kind {
	case "password", "netrc_password", "postgres_password", "mysql_password", "git_credential":
		return true
	}
	return false
}

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
		now := env.Now.UnixNano() // ages compared in Unix nanoseconds, as time.Time compares them
		for _, id := range env.sorted() {
			if !id.StillPresent || id.Kind == "os_service_account" {
				continue
			}
			born := id.ageStamp()
			if !born.set() {
				continue
			}
			t := env.thresholds(id)
			limit, what := t.MaxAge, "static keys and tokens"
			if password(id.Kind) {
				limit, what = t.MaxPasswordAge, "passwords"
			}
			if now-int64(born)*int64(time.Second) <= int64(limit) {
				continue
			}
			age := born.Time()
			b := strconv.AppendInt(env.said[:0], int64(days(env.Now.Sub(age))), 10)
			b = append(b, " days old (policy: at most "...)
			b = strconv.AppendInt(b, int64(days(limit)), 10)
			b = append(append(append(b, " days for "...), what...), "): the earliest creation or file time its hosts report is "...)
			env.said = appendDay(b, age)
			if !send(yield, env.emit(findings.LongLived, id, "", nil, string(env.said))) {
				return
			}
		}
	}
}
