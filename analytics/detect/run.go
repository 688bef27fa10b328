package detect

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/nhiradar/nhiradar/analytics/findings"
)

// detector is one rule: it reads its facts and decides.
type detector struct {
	rule string
	run  func(ctx context.Context, src Source, env *Env) ([]*Finding, error)
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
// seen before the next rule runs.
func Run(ctx context.Context, src Source, env *Env, seen func(ctx context.Context, rule string, fs []*Finding) error) error {
	for _, d := range detectors {
		start := time.Now()
		fs, err := d.run(ctx, src, env)
		if err != nil {
			return fmt.Errorf("detect %s: %w", d.rule, err)
		}
		env.Took = append(env.Took, NewStep(d.rule, start))
		slog.Debug("detector ran", "rule", d.rule, "findings", len(fs), "took", time.Since(start))
		if err := seen(ctx, d.rule, fs); err != nil {
			return err
		}
	}
	return nil
}

// keep drops the nils emit returns for disabled rules.
func keep(fs ...*Finding) []*Finding {
	out := fs[:0]
	for _, f := range fs {
		if f != nil {
			out = append(out, f)
		}
	}
	return out
}
