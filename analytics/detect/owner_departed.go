package detect

import (
	"context"
	"fmt"
	"iter"

	"github.com/nhiradar/nhiradar/analytics/findings"
)

func detectOwnerDeparted(_ context.Context, _ Source, env *Env) (iter.Seq[*Finding], error) {
	return evalOwnerDeparted(env), nil
}

// evalOwnerDeparted: the owner the policy resolves has left (directory
// status departed); remediation goes to their manager.
func evalOwnerDeparted(env *Env) iter.Seq[*Finding] {
	return func(yield func(*Finding) bool) {
		for _, id := range env.sorted() {
			if !id.StillPresent {
				continue
			}
			o := id.owner(env)
			if o.Status != "departed" {
				env.clear(findings.OwnerDeparted, id, "", func() string {
					return fmt.Sprintf("owner now %s, status %s (%s)", o.Owner, o.Status, o.Reason)
				})
				continue
			}
			to := "no active manager is recorded above them: remediation has no assignee"
			if o.Manager != "" {
				to = fmt.Sprintf("remediation goes to their manager %s", o.Manager)
			}
			if !send(yield, env.emit(findings.OwnerDeparted, id, "", nil,
				fmt.Sprintf("owner %s has departed per the owner directory (owner decided by %s)", o.Owner, o.Reason), to)) {
				return
			}
		}
	}
}
