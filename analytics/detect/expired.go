package detect

import (
	"context"
	"fmt"
	"iter"
	"strings"

	"github.com/nhiradar/nhiradar/analytics/findings"
)

// expired and expiring read expires_at from identities.sql (the latest
// expiry the hosts reported: JWT exp, certificate notAfter).
func detectExpired(_ context.Context, _ Source, env *Env) (iter.Seq[*Finding], error) {
	return evalExpired(env), nil
}

func evalExpired(env *Env) iter.Seq[*Finding] {
	return func(yield func(*Finding) bool) {
		for _, id := range env.sorted() {
			if !id.StillPresent || !id.ExpiresAt.set() || id.ExpiresAt.After(env.Now) {
				continue
			}
			if !send(yield, env.emit(findings.Expired, id, "", nil,
				fmt.Sprintf("expired on %s (the expiry it carries) and is still deployed on %s",
					day(id.ExpiresAt.Time()), strings.Join(id.PresentHosts, ", ")))) {
				return
			}
		}
	}
}
