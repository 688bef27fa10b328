package detect

import (
	"cmp"
	"context"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nhiradar/nhiradar/analytics/findings"
)

// fileMode is one file holding an identity on a host: its latest mode,
// owner and the account it belongs to (whose home holds it), and when it
// was last seen there.
type fileMode struct {
	Host, NHIID, Location, Mode string
	Seen                        time.Time
	Owner, Account              string
}

func detectExposedFile(ctx context.Context, src Source, env *Env) (iter.Seq[*Finding], error) {
	all, stored := storedOf(env, findings.ExposedFile)
	facts, err := queryFileModes(ctx, src, all, stored)
	if err != nil {
		return nil, err
	}
	return evalExposedFile(env, facts), nil
}

func queryFileModes(ctx context.Context, src Source, all uint8, stored []string) ([]fileMode, error) {
	ctx, err := withIDs(ctx, "stored", stored)
	if err != nil {
		return nil, fmt.Errorf("exposed_file: %w", err)
	}
	rows, err := src.query(ctx, "exposed_file.sql", all)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var facts []fileMode
	for rows.Next() {
		var f fileMode
		if err := rows.Scan(&f.Host, &f.NHIID, &f.Location, &f.Mode, &f.Owner, &f.Account, &f.Seen); err != nil {
			return nil, fmt.Errorf("exposed_file row: %w", err)
		}
		f.Seen = f.Seen.UTC()
		facts = append(facts, f)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.SortFunc(facts, func(a, b fileMode) int {
		return cmp.Or(strings.Compare(a.Host, b.Host), strings.Compare(a.NHIID, b.NHIID), strings.Compare(a.Location, b.Location))
	})
	return current(facts), nil
}

// current drops the locations of an identity on a host last seen more than
// an hour before its newest location there: one scan observes all of a
// host's locations within minutes, so an older one was not in the latest
// scan and the file is gone. facts are ordered by host and identity.
func current(facts []fileMode) []fileMode {
	out := facts[:0]
	for i := 0; i < len(facts); {
		j, newest := i, facts[i].Seen
		for ; j < len(facts) && facts[j].Host == facts[i].Host && facts[j].NHIID == facts[i].NHIID; j++ {
			if facts[j].Seen.After(newest) {
				newest = facts[j].Seen
			}
		}
		for _, f := range facts[i:j] {
			if f.Mode != "" && !f.Seen.Before(newest.Add(-time.Hour)) {
				out = append(out, f)
			}
		}
		i = j
	}
	return out
}

// exposable: only a secret is exposed by being readable. An account in
// /etc/passwd or a public key in authorized_keys is meant to be.
func exposable(id *Identity) bool {
	return id.Secret && id.Kind != "ssh_authorized_key" && id.Kind != "os_service_account"
}

// evalExposedFile: a file holding a secret is readable by group or others
// (mode & 044), or owned by another account than the one it belongs to
// (that account can read it and change its mode), one finding per
// identity and host naming every such file. facts are ordered by host and
// identity (as current needs them), so each finding's files are adjacent.
func evalExposedFile(env *Env, facts []fileMode) iter.Seq[*Finding] {
	return func(yield func(*Finding) bool) {
		for i := 0; i < len(facts); {
			j := i + 1
			for j < len(facts) && facts[j].Host == facts[i].Host && facts[j].NHIID == facts[i].NHIID {
				j++
			}
			if f := exposedOn(env, facts[i:j]); !send(yield, f) {
				return
			}
			i = j
		}
	}
}

// exposedOn decides over one identity's files on one host: the finding,
// or nil (recording why a stored one no longer holds).
func exposedOn(env *Env, files []fileMode) *Finding {
	host := files[0].Host
	id := env.present(files[0].NHIID, host)
	if id == nil || !exposable(id) {
		return nil
	}
	var bad, badLoc, fixed []string
	checked := false
	for _, f := range files {
		if strings.HasPrefix(f.Location, "process:") {
			continue
		}
		checked = true
		if why := exposure(f); len(why) > 0 {
			bad = append(bad, why...)
			badLoc = append(badLoc, f.Location)
		} else if env.stored(findings.ExposedFile, id, host) {
			fixed = append(fixed, fmt.Sprintf("%s on %s now has mode %s", f.Location, f.Host, f.Mode))
		}
	}
	if len(bad) > 0 {
		return env.emit(findings.ExposedFile, id, host, badLoc, bad...)
	}
	if checked {
		env.clear(findings.ExposedFile, id, host, func() string { return strings.Join(fixed, "; ") })
	}
	return nil
}

// exposure says what is wrong with one file. root owning a file in someone's
// home is not exposure: root reads everything anyway.
func exposure(f fileMode) []string {
	var why []string
	if mode, err := strconv.ParseUint(f.Mode, 8, 32); err == nil && mode&0o044 != 0 {
		why = append(why, fmt.Sprintf("%s on %s has mode %s: readable by %s", f.Location, f.Host, f.Mode, readers(mode)))
	}
	if f.Owner != "" && f.Account != "" && f.Owner != f.Account && f.Owner != "root" {
		why = append(why, fmt.Sprintf("%s on %s is owned by %s, not by %s whose credential it is", f.Location, f.Host, f.Owner, f.Account))
	}
	return why
}

func readers(mode uint64) string {
	switch {
	case mode&0o040 != 0 && mode&0o004 != 0:
		return "group and others"
	case mode&0o040 != 0:
		return "its group"
	}
	return "others"
}
