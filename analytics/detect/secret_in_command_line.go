package detect

import (
	"context"
	"fmt"
	"iter"

	"github.com/nhiradar/nhiradar/analytics/findings"
)

func detectSecretInCmdline(ctx context.Context, src Source, env *Env) (iter.Seq[*Finding], error) {
	facts, err := queryLocated(ctx, src, "secret_in_command_line.sql")
	if err != nil {
		return nil, err
	}
	return evalSecretInCmdline(env, facts), nil
}

// cmdlineWhere says in words where each attrs.source value puts a secret.
var cmdlineWhere = map[string]string{
	"cmdline":      "the arguments of a running process, visible to every local user in the process table",
	"process_args": "the arguments of a running process, visible to every local user in the process table",
	"exec_start":   "a systemd unit's ExecStart= line, visible in the process table while the service runs",
	"cron_command": "a cron command line, visible in the process table while the job runs",
}

// evalSecretInCmdline: one finding per identity and host, naming each place.
func evalSecretInCmdline(env *Env, facts []located) iter.Seq[*Finding] {
	return func(yield func(*Finding) bool) {
		byKey := map[string][]located{}
		var order []string
		for _, l := range facts {
			if _, ok := cmdlineWhere[l.Attrs["source"]]; !ok || env.present(l.NHIID, l.Host) == nil {
				continue
			}
			k := l.Host + "\x00" + l.NHIID
			if byKey[k] == nil {
				order = append(order, k)
			}
			byKey[k] = append(byKey[k], l)
		}
		for _, k := range order {
			ls := byKey[k]
			var ev, locs []string
			for _, l := range ls {
				ev = append(ev, fmt.Sprintf("found in %s: %s on %s%s (attrs.source=%s)",
					cmdlineWhere[l.Attrs["source"]], l.Location, l.Host, process(l.Attrs), l.Attrs["source"]))
				locs = append(locs, l.Location)
			}
			id := env.Identities[ls[0].NHIID]
			if !send(yield, env.emit(findings.SecretInCmdline, id, ls[0].Host, locs, ev...)) {
				return
			}
		}
	}
}

func process(a map[string]string) string {
	s := ""
	if a["pid"] != "" {
		s += ", pid " + a["pid"]
	}
	if a["user"] != "" {
		s += ", run by " + a["user"]
	}
	return s
}
