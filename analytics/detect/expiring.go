package detect

import (
	"context"
	"fmt"
	"iter"

	"github.com/nhiradar/nhiradar/analytics/findings"
)

func detectExpiring(_ context.Context, _ Source, env *Env) (iter.Seq[*Finding], error) {
	return evalExpiring(env), nil
}

// evalExpiring: an expiry within ExpiringWithin of now (an expired one is
// expired, not expiring).
func evalExpiring(env *Env) iter.Seq[*Finding] {
	return func(yield func(*Finding) bool) {
		for _, id := range env.sorted() {
			if !id.StillPresent || !id.ExpiresAt.set() {
				continue
			}
			if !id.ExpiresAt.After(env.Now) {
				env.clear(findings.Expiring, id, "", func() string {
					return fmt.Sprintf("it expired on %s: the expired finding takes over", day(id.ExpiresAt.Time()))
				})
				continue
			}
			t := env.thresholds(id)
			left := id.ExpiresAt.Sub(env.Now)
			if left > t.ExpiringWithin {
				continue
			}
			if !send(yield, env.emit(findings.Expiring, id, "", nil,
				fmt.Sprintf("expires on %s, in %d days (policy: warn within %d days)",
					day(id.ExpiresAt.Time()), days(left), days(t.ExpiringWithin)))) {
				return
			}
		}
	}
}
