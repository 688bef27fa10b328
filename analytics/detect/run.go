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

// Run runs every detector once over env and returns what they saw.
func Run(ctx context.Context, src Source, env *Env) ([]*Finding, error) {
	var out []*Finding
	for _, d := range detectors {
		start := time.Now()
		fs, err := d.run(ctx, src, env)
		if err != nil {
			return nil, fmt.Errorf("detect %s: %w", d.rule, err)
		}
		slog.Debug("detector ran", "rule", d.rule, "findings", len(fs), "took", time.Since(start))
		out = append(out, fs...)
	}
	return out, nil
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
