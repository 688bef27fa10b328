package processes

import (
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/nhiradar/nhiradar/plugins/builtin/internal/secretrules"
	"github.com/nhiradar/nhiradar/plugins/sdk"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
	"github.com/nhiradar/nhiradar/plugins/sdk/hostfs"
	"github.com/nhiradar/nhiradar/plugins/sdk/secret"
)

// reporter turns what processes hold into events. Forked workers share
// their parent's environment: one secret at one executable under one key
// is reported once, by the lowest pid.
type reporter struct {
	root hostfs.Root
	fp   *secret.Fingerprinter
	now  time.Time
	emit sdk.Emit
	seen map[string]bool
}

func newReporter(root hostfs.Root, fp *secret.Fingerprinter, now time.Time, emit sdk.Emit) *reporter {
	return &reporter{root: root, fp: fp, now: now, emit: emit, seen: map[string]bool{}}
}

func (r *reporter) process(p proc) error {
	env := map[string]string{}
	for _, kv := range p.env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	for _, kv := range p.env {
		k, v, _ := strings.Cut(kv, "=")
		if k == agentKeyVar && isAgent(p) {
			continue
		}
		if m, ok := secretrules.Classify(k, v, env); ok {
			if err := r.secret(p, m, "environ"); err != nil {
				return err
			}
		}
	}
	for _, m := range secretrules.ScanArgs(p.args) {
		if err := r.secret(p, m, "cmdline"); err != nil {
			return err
		}
	}
	for _, f := range p.files {
		if err := r.openFile(p, f); err != nil {
			return err
		}
	}
	return nil
}

// agentKeyVar is the variable the agent may read its organisation
// fingerprint key from (agent/orgkey.EnvVar; plugins import only the SDK).
const agentKeyVar = "NHI_FINGERPRINT_KEY"

// agentKeyFile reports whether path is where the agent reads its
// organisation key: the packaged key file, or the copy systemd passes the
// service as a credential (LoadCredential=, under /run/credentials/UNIT/).
func agentKeyFile(p string) bool {
	return p == "/etc/nhi-agent/fingerprint.key" ||
		(strings.HasPrefix(p, "/run/credentials/") && path.Base(p) == "fingerprint-key")
}

// isAgent reports whether a process is NHI Radar's own (the agent, its
// plugins, the collector, nhictl): the organisation key in its environment
// is how it was started, not a credential found on the host, and it is not
// reported. The same variable in any other process is.
func isAgent(p proc) bool {
	name := p.name
	if p.exe != "" {
		name = p.exe[strings.LastIndexByte(p.exe, '/')+1:]
	}
	name = strings.TrimSuffix(name, " (deleted)")
	return name == "nhi-agent" || name == "nhi-collector" || name == "nhictl" || strings.HasPrefix(name, "nhi-plugin-")
}

// location names a process by its executable, which is stable across
// restarts, unlike its pid.
func (p proc) location() string {
	if p.exe != "" {
		return "process:" + p.exe
	}
	return "process:" + p.name
}

func (p proc) attrs(source string) map[string]string {
	a := map[string]string{"pid": strconv.Itoa(int(p.pid)), "name": p.name, "source": source}
	if p.exe != "" {
		a["exe"] = p.exe
	}
	if p.user != "" {
		a["user"] = p.user
	}
	if !p.started.IsZero() {
		a["started_at"] = p.started.Format(time.RFC3339)
	}
	return a
}

func (r *reporter) secret(p proc, m secretrules.Match, source string) error {
	fingerprint := r.fp.Of(m.Value)
	dedup := fingerprint + "\x00" + p.location() + "\x00" + m.Key + "\x00" + source
	if r.seen[dedup] {
		return nil
	}
	r.seen[dedup] = true
	hints := []string{"process:" + p.name}
	if p.user != "" {
		hints = append(hints, "user:"+p.user)
	}
	attrs := p.attrs(source)
	if m.Provider != "" {
		attrs["provider"] = m.Provider
	}
	obs := &event.Event{
		Type: event.TypeNHIObserved, Plugin: Name, Kind: m.Kind, Principal: m.Principal, Fingerprint: fingerprint,
		Location: p.location(), Key: m.Key, Account: p.user, OwnerHints: hints, Attrs: attrs,
	}
	if err := r.emit(obs); err != nil {
		return err
	}
	now := r.now
	return r.emit(&event.Event{
		Type: event.TypeUsageEvidence, Plugin: Name, Kind: m.Kind, Principal: m.Principal, Fingerprint: fingerprint,
		Evidence: event.EvidenceProcess, Source: "/proc/" + strconv.Itoa(int(p.pid)) + "/" + source,
		UsedAt: &now, Actor: p.user, Account: p.user, Location: p.location(), Key: m.Key, Attrs: p.attrs(source),
	})
}
