package detect

import (
	"context"
	"fmt"
	"iter"
	"strconv"
	"strings"
	"time"

	"github.com/nhiradar/nhiradar/analytics/findings"
)

// usageSource is one host's usage source: what evidence it gives and the
// span of uses it has reported.
type usageSource struct {
	Host, Evidence, Source string
	First, Last            time.Time

	first, last int64 // First and Last in Unix nanoseconds: compared for every identity of the host
}

// useClass is what can see an identity's use: an account is used by
// logging in, su and sudo (authlog); an authorized key by ssh logins that
// name it; every file-held secret by reads of its file (file_access, from
// mounts that record access times). Process snapshots (process,
// open_file) show use at one instant and so cover no window.
type useClass uint8

const (
	accountLogin useClass = iota
	keyLogin
	fileRead
)

// coverEvidenceOf lists, by class, the evidence types that can see a use.
var coverEvidenceOf = [...][]string{
	accountLogin: {"ssh_login", "su", "sudo", "login"},
	keyLogin:     {"ssh_login"},
	fileRead:     {"file_access"},
}

func classOf(kind string) useClass {
	switch kind {
	case "os_service_account":
		return accountLogin
	case "ssh_authorized_key":
		return keyLogin
	}
	return fileRead
}

// coverEvidence says which evidence types can see the use of a kind.
func coverEvidence(kind string) []string { return coverEvidenceOf[classOf(kind)] }

// Coverage is the rule for "a usage source covers the identity for the
// window": on one of the identity's hosts, a source of an evidence type
// that can see the kind has reported a use at or before the window start
// (so its logs reach back that far) and one inside the window (so it still
// reports). The earliest use a source has reported stands for how far its
// logs reach: the collector keeps the minimum over every scan. It returns
// the covering source, or nil.
func coverage(id *Identity, sources hostSources, from int64) *usageSource {
	c := classOf(id.Kind)
	for _, h := range id.Hosts {
		by := sources[h]
		if by == nil {
			continue
		}
		for _, s := range by[c] {
			if s.first <= from && s.last >= from {
				return s
			}
		}
	}
	return nil
}

// hostSources indexes a fleet's usage sources by host and by the class of
// use each can see: each identity asks only about its own hosts and kind.
type hostSources map[string]*[len(coverEvidenceOf)][]*usageSource

func byHost(sources []usageSource) hostSources {
	out := hostSources{}
	for i := range sources {
		s := &sources[i]
		s.first, s.last = s.First.UnixNano(), s.Last.UnixNano()
		by := out[s.Host]
		if by == nil {
			by = new([len(coverEvidenceOf)][]*usageSource)
			out[s.Host] = by
		}
		for c, types := range coverEvidenceOf {
			if contains(types, s.Evidence) {
				by[c] = append(by[c], s)
			}
		}
	}
	return out
}

// Coverage records, without raising findings, which source sees each
// present identity's use, or that none does (CoveredBy, Unobservable).
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
	var (
		out  []usageSource
		s    usageSource
		dest = []any{&s.Host, &s.Evidence, &s.Source, &s.First, &s.Last}
	)
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("dormant row: %w", err)
		}
		s.First, s.Last = s.First.UTC(), s.Last.UTC()
		out = append(out, s)
	}
	return out, rows.Err()
}

// evalDormant: a used identity is dormant when its last use is older than
// DormantAfter; a never-used one when it has been known longer than
// NeverUsedAfter. Either way only where a source covers the window; an
// identity no source covers is recorded as unobservable, never dormant.
func evalDormant(env *Env, list []usageSource) iter.Seq[*Finding] {
	return func(yield func(*Finding) bool) {
		sources, covered, now := byHost(list), coverings{}, env.Now.UnixNano()
		for _, id := range env.sorted() {
			if !id.StillPresent {
				continue
			}
			t := env.thresholds(id)
			// The window's start in Unix nanoseconds: time.Time arithmetic
			// for each of a fleet's identities was a tenth of the rule.
			from := now - int64(t.DormantAfter)
			if !id.LastUsed.set() {
				from = now - int64(t.NeverUsedAfter)
			}
			cov := coverage(id, sources, from)
			if cov == nil {
				id.unobserved, id.covered, id.why = StampOf(time.Unix(0, from)), nil, nil
				continue
			}
			id.unobserved, id.covered, id.why = 0, cov, nil
			if !send(yield, dormantFinding(env, id, cov, covered, t.DormantAfter, t.NeverUsedAfter, from)) {
				return
			}
		}
	}
}

// CoveredBy names the usage source that covers an identity's use, "" when
// none does.
func (e *Env) CoveredBy(nhiID string) string {
	id := e.Identities[nhiID]
	if id == nil || id.covered == nil {
		return ""
	}
	cov := id.covered
	return fmt.Sprintf("%s in %s on %s since %s", cov.Evidence, cov.Source, cov.Host, day(cov.First))
}

// Unobservable says whether no usage source can see an identity's use, and
// the start of the window none covers.
func (e *Env) Unobservable(nhiID string) (time.Time, bool) {
	id := e.Identities[nhiID]
	if id == nil || !id.unobserved.set() {
		return time.Time{}, false
	}
	return id.unobserved.Time(), true
}

// UnobservableCount is how many identities no usage source can see used.
func (e *Env) UnobservableCount() int {
	n := 0
	for _, id := range e.order {
		if id.unobserved.set() {
			n++
		}
	}
	return n
}

// unobservedKey is what UnobservableOf's sentence says: most of a fleet's
// unobservable identities share a kind's evidence, one host and a day.
type unobservedKey struct {
	kind, hosts string
	from        Stamp
}

// UnobservableOf says why no source can see the use of a finding's
// identity, "" when one can. Each sentence is built once per analysis:
// every rule's findings on such identities repeat it.
func (e *Env) UnobservableOf(f *Finding) string {
	id := f.id
	if id == nil {
		id = e.Identities[f.NHIID]
	}
	if id == nil || !id.unobserved.set() {
		return ""
	}
	if id.why != nil {
		return *id.why
	}
	k := unobservedKey{kind: id.Kind, from: id.unobserved}
	if len(id.Hosts) == 1 {
		k.hosts = id.Hosts[0]
	} else {
		k.hosts = strings.Join(id.Hosts, ", ")
	}
	why, ok := e.why[k]
	if !ok {
		s := fmt.Sprintf("usage: unobservable — no %s source on %s reaches back to %s",
			strings.Join(coverEvidence(id.Kind), "/"), k.hosts, day(id.unobserved.Time()))
		why = &s
		e.why[k] = why
	}
	id.why = why
	return *why
}

// dormantFinding decides over an identity a source covers since from
// (Unix nanoseconds).
func dormantFinding(env *Env, id *Identity, cov *usageSource, covered coverings, after, neverAfter time.Duration, from int64) *Finding {
	if id.LastUsed.set() {
		if int64(id.LastUsed)*int64(time.Second) >= from {
			return nil
		}
		b := strconv.AppendInt(append(env.said[:0], "not used for "...), int64(days(env.Now.Sub(id.LastUsed.Time()))), 10)
		b = strconv.AppendInt(append(b, " days (policy: "...), int64(days(after)), 10)
		b = appendDay(append(append(append(b, "): last use "...), id.LastEvidence...), " was "...), id.LastUsed.Time())
		env.said = append(append(b, " in "...), id.LastSource...)
		return env.emit(findings.Dormant, id, "", nil, string(env.said), covered.of(cov))
	}
	known := id.Known()
	if !set(known) || known.UnixNano() > from {
		return nil
	}
	b := strconv.AppendInt(append(env.said[:0], "never used in the "...), int64(days(env.Now.Sub(known))), 10)
	b = appendDay(append(b, " days since it was first known on "...), known)
	b = strconv.AppendInt(append(b, " (policy: "...), int64(days(neverAfter)), 10)
	env.said = append(b, " days for never-used identities)"...)
	return env.emit(findings.Dormant, id, "", nil, string(env.said), covered.of(cov))
}

// coverings says what each source covers, each sentence built once: every
// dormant finding a source covers repeats it.
type coverings map[*usageSource]string

func (c coverings) of(s *usageSource) string {
	if v, ok := c[s]; ok {
		return v
	}
	v := "usage source " + s.Source + " on " + s.Host + " records " + s.Evidence + " since " + day(s.First) + ", covering the whole window"
	c[s] = v
	return v
}
