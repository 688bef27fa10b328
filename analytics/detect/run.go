package detect

import (
	"context"
	"fmt"
	"iter"
	"log/slog"
	"time"

	"github.com/nhiradar/nhiradar/analytics/findings"
)

// detector is one rule: it reads its facts and decides.
type detector struct {
	rule string
	run  func(ctx context.Context, src Source, env *Env) (iter.Seq[*Finding], error)
}

// detectors in the contract's order. dormant comes first: it records which
// identities' use is unobservable.
var detectors = []detector{
	{findings.Dormant, detectDormant},
	{findings.Ownerless, detectOwnerless},
	{findings.OwnerDeparted, detectOwnerDeparted},
	{findings.LongLived, detectLongLived},
	{findings.Expired, detectExpired},
	{findings.Expiring, detectExpiring},
	{findings.Reused, detectReused},
	{findings.CrossEnvironment, detectCrossEnvironment},
	{findings.ExposedFile, detectExposedFile},
	{findings.SecretInCmdline, detectSecretInCmdline},
	{findings.HumanUse, detectHumanUse},
	{findings.Overprivileged, detectOverprivileged},
}

// Run runs every detector once over env, handing each rule's findings to
// seen before the next rule runs, at most batch at a time: a fleet's rule
// can raise a hundred thousand findings, and holding them all beside the
// inventory doubled an analysis's memory. Each rule's time leaves out
// what seen took.
func Run(ctx context.Context, src Source, env *Env, seen func(ctx context.Context, rule string, fs []*Finding) error) error {
	env.resolveOwners()
	for _, d := range detectors {
		start := time.Now()
		fs, err := d.run(ctx, src, env)
		if err != nil {
			return fmt.Errorf("detect %s: %w", d.rule, err)
		}
		n, handing, err := inBatches(fs, batch, func(b []*Finding) error { return seen(ctx, d.rule, b) })
		if err != nil {
			return err
		}
		took := NewStep(d.rule, start)
		took.Took -= handing
		took.Seconds = took.Took.Seconds()
		env.Took = append(env.Took, took)
		slog.Debug("detector ran", "rule", d.rule, "findings", n, "took", took.Took)
	}
	return nil
}

// resolveOwners decides every present identity's ownership before the
// rules run, as its own step: every finding carries its owner, and the
// policy's owner rules are a decision about the identity, not about
// whichever rule fires on it first.
func (e *Env) resolveOwners() {
	start := time.Now()
	for _, id := range e.sorted() {
		if id.StillPresent {
			id.owner(e)
		}
	}
	e.Took = append(e.Took, NewStep("owners", start))
}

// batch is how many findings a rule hands on at once.
const batch = 5000

// inBatches hands fs on n at a time (the slice is reused: hand must not
// keep it) and says how many it handed and how long hand took.
func inBatches(fs iter.Seq[*Finding], n int, hand func([]*Finding) error) (int, time.Duration, error) {
	var (
		buf     = make([]*Finding, 0, n)
		count   int
		handing time.Duration
	)
	flush := func() error {
		at := time.Now()
		err := hand(buf)
		handing += time.Since(at)
		count, buf = count+len(buf), buf[:0]
		return err
	}
	for f := range fs {
		if buf = append(buf, f); len(buf) == n {
			if err := flush(); err != nil {
				return count, handing, err
			}
		}
	}
	if len(buf) > 0 {
		if err := flush(); err != nil {
			return count, handing, err
		}
	}
	return count, handing, nil
}

// send yields f unless it is nil (emit's answer for a disabled rule); false
// when the consumer stopped.
func send(yield func(*Finding) bool, f *Finding) bool { return f == nil || yield(f) }
