package detect

import (
	"context"
	"fmt"
	"iter"
	"sort"
	"strings"
	"time"

	"github.com/nhiradar/nhiradar/analytics/findings"
)

// usageSource is one host's usage source: what evidence it gives and the
// span of uses it has reported.
type usageSource struct {
	Host, Evidence, Source string
	First, Last            time.Time
}

// coverEvidence says which evidence types can see the use of a kind.
// Accounts are used by logging in, su and sudo (authlog); an authorized key
// by ssh logins that name it; every file-held secret by reads of its file
// (file_access, from mounts that record access times). Process snapshots
// (process, open_file) show use at one instant and so cover no window.
func coverEvidence(kind string) []string {
	switch kind {
	case "os_service_account":
		return []string{"ssh_login", "su", "sudo", "login"}
	case "ssh_authorized_key":
		return []string{"ssh_login"}
	}
	return []string{"file_access"}
}

// Coverage is the rule for "a usage source covers the identity for the
// window": on one of the identity's hosts, a source of an evidence type
// that can see the kind has reported a use at or before the window start
// (so its logs reach back that far) and one inside the window (so it still
// reports). The earliest use a source has reported stands for how far its
// logs reach: the collector keeps the minimum over every scan. It returns
// the covering source, or nil.
func coverage(id *Identity, sources hostSources, from time.Time) *usageSource {
	types := coverEvidence(id.Kind)
	for _, h := range id.Hosts {
		for _, s := range sources[h] {
			if !contains(types, s.Evidence) {
				continue
			}
			if !s.First.After(from) && !s.Last.Before(from) {
				return s
			}
		}
	}
	return nil
}

// hostSources indexes a fleet's usage sources by host: each identity asks
// only about its own hosts.
type hostSources map[string][]*usageSource

func byHost(sources []usageSource) hostSources {
	out := hostSources{}
	for i := range sources {
		out[sources[i].Host] = append(out[sources[i].Host], &sources[i])
	}
	return out
}

// Coverage fills env.Covered and env.Unobservable without raising
// findings: which source sees each present identity's use, or that none does.
func Coverage(ctx context.Context, src Source, env *Env) error {
	sources, err := queryUsageSources(ctx, src)
	if err != nil {
		return err
	}
	for range evalDormant(env, sources) {
	}
	return nil
}

func detectDormant(ctx context.Context, src Source, env *Env) (iter.Seq[*Finding], error) {
	sources, err := queryUsageSources(ctx, src)
	if err != nil {
		return nil, err
	}
	return evalDormant(env, sources), nil
}

func queryUsageSources(ctx context.Context, src Source) ([]usageSource, error) {
	rows, err := src.query(ctx, "dormant.sql")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []usageSource
	at := map[[3]string]int{}
	for rows.Next() {
		var s usageSource
		if err := rows.Scan(&s.Host, &s.Evidence, &s.Source, &s.First, &s.Last); err != nil {
			return nil, fmt.Errorf("dormant row: %w", err)
		}
		s.First, s.Last = s.First.UTC(), s.Last.UTC()
		k := [3]string{s.Host, s.Evidence, s.Source}
		if i, ok := at[k]; ok { // reported uses and coverage of one source: the wider span
			out[i].First, out[i].Last = minTime(out[i].First, s.First), maxTime(out[i].Last, s.Last)
			continue
		}
		at[k] = len(out)
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Host+"\x00"+out[i].Evidence+"\x00"+out[i].Source < out[j].Host+"\x00"+out[j].Evidence+"\x00"+out[j].Source
	})
	return out, rows.Err()
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// evalDormant: a used identity is dormant when its last use is older than
// DormantAfter; a never-used one when it has been known longer than
// NeverUsedAfter. Either way only where a source covers the window; an
// identity no source covers is recorded as unobservable, never dormant.
func evalDormant(env *Env, list []usageSource) iter.Seq[*Finding] {
	return func(yield func(*Finding) bool) {
		sources := byHost(list)
		for _, id := range env.sorted() {
			if !id.StillPresent {
				continue
			}
			t := env.Policy.Thresholds(id.Policy(), id.firstHost())
			used := set(id.LastUsed)
			from := env.Now.Add(-t.DormantAfter)
			if !used {
				from = env.Now.Add(-t.NeverUsedAfter)
			}
			cov := coverage(id, sources, from)
			if cov == nil {
				env.Unobservable[id.NHIID] = from
				continue
			}
			env.Covered[id.NHIID] = cov
			if !send(yield, dormantFinding(env, id, cov, t.DormantAfter, t.NeverUsedAfter, from)) {
				return
			}
		}
	}
}

// CoveredBy names the usage source that covers an identity's use, "" when
// none does.
func (e *Env) CoveredBy(nhiID string) string {
	cov := e.Covered[nhiID]
	if cov == nil {
		return ""
	}
	return fmt.Sprintf("%s in %s on %s since %s", cov.Evidence, cov.Source, cov.Host, day(cov.First))
}

// UnobservableWhy says why no source can see an identity's use, "" when
// one can. The sentence is built on demand: most identities of a fleet
// never need it.
func (e *Env) UnobservableWhy(nhiID string) string {
	from, ok := e.Unobservable[nhiID]
	id := e.Identities[nhiID]
	if !ok || id == nil {
		return ""
	}
	if id.unobservable == "" { // once per identity: every rule's findings repeat it
		id.unobservable = fmt.Sprintf("usage: unobservable — no %s source on %s reaches back to %s",
			strings.Join(coverEvidence(id.Kind), "/"), strings.Join(id.Hosts, ", "), day(from))
	}
	return id.unobservable
}

func dormantFinding(env *Env, id *Identity, cov *usageSource, after, neverAfter time.Duration, from time.Time) *Finding {
	covered := fmt.Sprintf("usage source %s on %s records %s since %s, covering the whole window",
		cov.Source, cov.Host, cov.Evidence, day(cov.First))
	if set(id.LastUsed) {
		if !id.LastUsed.Before(from) {
			return nil
		}
		return env.emit(findings.Dormant, id, "", nil,
			fmt.Sprintf("not used for %d days (policy: %d): last use %s was %s in %s",
				days(env.Now.Sub(id.LastUsed)), days(after), id.LastEvidence, day(id.LastUsed), id.LastSource),
			covered)
	}
	known := id.Known()
	if !set(known) || known.After(from) {
		return nil
	}
	return env.emit(findings.Dormant, id, "", nil,
		fmt.Sprintf("never used in the %d days since it was first known on %s (policy: %d days for never-used identities)",
			days(env.Now.Sub(known)), day(known), days(neverAfter)),
		covered)
}
