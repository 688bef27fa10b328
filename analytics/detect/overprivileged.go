package detect

import (
	"context"
	"fmt"
	"iter"
	"regexp"
	"strings"

	"github.com/nhiradar/nhiradar/analytics/findings"
)

func detectOverprivileged(ctx context.Context, src Source, env *Env) (iter.Seq[*Finding], error) {
	all, stored := storedOf(env, findings.Overprivileged)
	facts, err := queryAccounts(ctx, src, all, stored)
	if err != nil {
		return nil, err
	}
	return evalOverprivileged(env, facts), nil
}

// queryAccounts reads the latest attrs of the service account locations
// ever flagged as privileged and of the stored ids (every one when all is
// 1): merging every location's attrs of a fleet to find its few thousand
// privileged accounts cost more than asking raw events.
func queryAccounts(ctx context.Context, src Source, all uint8, stored []string) ([]located, error) {
	ctx, err := withIDs(ctx, "stored", stored)
	if err != nil {
		return nil, fmt.Errorf("overprivileged: %w", err)
	}
	return queryLocated(ctx, src, "overprivileged.sql", all)
}

// adminGroups grant root or its equivalent (docker: any member can mount
// the host's / into a container).
var adminGroups = []string{"sudo", "wheel", "docker", "admin"}

var nopasswdAll = regexp.MustCompile(`NOPASSWD:\s*ALL\s*$`)

// privileges lists why an account is overprivileged, from the accounts
// plugin's attrs (uid, groups, sudo, sudo_nopasswd).
func privileges(account string, a map[string]string) []string {
	var why []string
	if a["uid"] == "0" && account != "root" {
		why = append(why, fmt.Sprintf("account %s has uid 0: it is root under another name", account))
	}
	if a["sudo_nopasswd"] == "true" {
		for _, r := range strings.Split(a["sudo"], "; ") {
			if nopasswdAll.MatchString(strings.TrimSpace(r)) {
				why = append(why, fmt.Sprintf("sudoers grants %s %q: any command as root without a password", account, r))
			}
		}
	}
	for _, g := range strings.Split(a["groups"], ",") {
		if contains(adminGroups, strings.TrimSpace(g)) {
			why = append(why, fmt.Sprintf("account %s is a member of group %s", account, g))
		}
	}
	return why
}

// evalOverprivileged: a service account (never root itself, which is
// privileged by definition) with root-equivalent rights, per host (NHI5).
func evalOverprivileged(env *Env, facts []located) iter.Seq[*Finding] {
	return func(yield func(*Finding) bool) {
		for _, l := range facts {
			id := env.present(l.NHIID, l.Host)
			if id == nil || id.Kind != "os_service_account" {
				continue
			}
			why := privileges(id.Principal, l.Attrs)
			if len(why) == 0 {
				env.clear(findings.Overprivileged, id, l.Host, func() string {
					return fmt.Sprintf("account %s on %s now has no uid 0, NOPASSWD ALL or admin group", id.Principal, l.Host)
				})
				continue
			}
			for i := range why {
				why[i] += fmt.Sprintf(" on %s (from %s)", l.Host, l.Location)
			}
			if !send(yield, env.emit(findings.Overprivileged, id, l.Host, []string{l.Location}, why...)) {
				return
			}
		}
	}
}
