package detect

import (
	"context"
	"fmt"
	"iter"

	"github.com/nhiradar/nhiradar/analytics/findings"
)

// ownerless and owner_departed need no SQL of their own: ownership is the
// policy's decision over the inventory facts identities.sql reads (owner
// hints, accounts, file owners, locations).
func detectOwnerless(_ context.Context, _ Source, env *Env) (iter.Seq[*Finding], error) {
	return evalOwnerless(env), nil
}

func evalOwnerless(env *Env) iter.Seq[*Finding] {
	return func(yield func(*Finding) bool) {
		for _, id := range env.sorted() {
			if !id.StillPresent {
				continue
			}
			o := id.owner(env)
			if o.Status != "none" {
				env.clear(findings.Ownerless, id, "", func() string { return fmt.Sprintf("owner now %s (%s)", o.Owner, o.Reason) })
				continue
			}
			if !send(yield, env.emit(findings.Ownerless, id, "", nil, "no accountable owner: "+o.Reason)) {
				return
			}
		}
	}
}
