package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// fleet is the benchmark's synthetic estate: hosts in three environments,
// each holding its share of the identities, scanned once a day for rounds
// days, with usage evidence, log coverage and heartbeats. Planted traits
// (a fixed share of the identities each) give every detector work.
type fleet struct {
	hosts, identities, rounds int
	now                       time.Time
	seed                      uint64
	seq                       uint64
}

// The plugins a host runs and what each reports.
var plugins = []string{"credfiles", "sshkeys", "accounts", "authlog"}

func (f *fleet) host(h int) string {
	switch h % 10 {
	case 0, 1, 2, 3, 4, 5:
		return fmt.Sprintf("prod-web-%04d", h)
	case 6, 7:
		return fmt.Sprintf("stg-app-%04d", h)
	default:
		return fmt.Sprintf("dev-box-%04d", h)
	}
}

func (f *fleet) hash(space string, n uint64) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%s/%d/%d", space, f.seed, n))
	return hex.EncodeToString(sum[:16])
}

// identity i lives on host i % hosts; every 25th is also deployed on up to
// five more hosts (some in another environment).
func (f *fleet) hostsOf(i int) []int {
	home := i % f.hosts
	out := []int{home}
	if i%25 == 7 {
		for k := 1; k <= 1+i%5; k++ {
			out = append(out, (home+k*37)%f.hosts)
		}
	}
	return out
}

// account is the service account identity i belongs to, unique on its
// home host.
func (f *fleet) account(i int) string { return fmt.Sprintf("svc%03d", i/f.hosts) }

// removed: every 100th identity disappears in the last third of the history.
func (f *fleet) removed(i, round int) bool {
	return i%100 == 3 && round >= f.rounds*2/3
}

// observed returns identity i's observation on host h in one round.
func (f *fleet) observed(i, h int, at time.Time) *event.Event {
	user := f.account(i)
	people := []string{"mbrown", "jlee", "asmith", "rkhan"}
	e := &event.Event{Type: event.TypeNHIObserved, Time: at}
	created := f.now.Add(-time.Duration(i%400) * 24 * time.Hour)
	switch i % 20 {
	case 0, 1, 2, 3, 4, 5, 6, 7, 8: // cloud and API keys in files
		e.Plugin, e.Kind = "credfiles", event.KindAWSAccessKey
		e.Principal = fmt.Sprintf("AKIA%016X", uint64(i)*2654435761)
		e.Fingerprint = f.hash("fp", uint64(i)) + f.hash("fp2", uint64(i))
		owner := user
		if i%40 == 1 {
			owner = people[i%4]
		}
		e.Location, e.Key, e.FileOwner, e.Account = "/home/"+owner+"/.aws/credentials", "aws_secret_access_key", owner, owner
		e.FileMode = "0600"
		if i%33 == 0 {
			e.FileMode = "0644"
		}
		e.OwnerHints = []string{"profile:default", "home:" + owner}
		e.ModifiedAt = &created
		e.Attrs = map[string]string{"profile": "default", "region": "eu-west-1"}
	case 9, 10, 11: // secrets in unit files, some on the command line
		e.Plugin, e.Kind = "credfiles", event.KindGenericSecret
		e.Fingerprint = f.hash("fp", uint64(i)) + f.hash("fp2", uint64(i))
		e.Location, e.Key, e.FileOwner, e.Account = fmt.Sprintf("/etc/systemd/system/app%d.service", i%50), "API_TOKEN", "root", user
		e.FileMode = "0644"
		src := "environment"
		if i%3 == 0 {
			src = "exec_start"
		}
		e.Attrs = map[string]string{"source": src, "unit": fmt.Sprintf("app%d.service", i%50)}
		e.ModifiedAt = &created
	case 12, 13, 14: // authorized keys
		e.Plugin, e.Kind = "sshkeys", event.KindSSHAuthorizedKey
		e.Principal = fmt.Sprintf("deploy-%d@ci", i%300)
		e.Fingerprint = f.hash("ssh", uint64(i)) + f.hash("ssh2", uint64(i))
		e.Location, e.Key, e.FileOwner, e.Account = "/home/"+user+"/.ssh/authorized_keys", "ssh-ed25519", user, user
		e.FileMode = "0600"
		e.ModifiedAt = &created
	case 15, 16, 17: // OS service accounts, host-scoped
		e.Plugin, e.Kind = "accounts", event.KindOSServiceAccount
		e.Principal = user
		e.Location, e.Key, e.Account = "/etc/passwd", e.Principal, e.Principal
		groups := e.Principal
		if i%29 == 0 {
			groups += ",docker"
		}
		e.Attrs = map[string]string{"uid": fmt.Sprint(1000 + i/f.hosts), "groups": groups, "shell": "/bin/bash"}
		if i%31 == 0 {
			e.Attrs["sudo"], e.Attrs["sudo_nopasswd"] = "ALL=(ALL) NOPASSWD: ALL", "true"
		}
	default: // TLS keys with certificates, some expiring or expired
		e.Plugin, e.Kind = "credfiles", event.KindPrivateKey
		e.Principal = fmt.Sprintf("CN=svc%d.example.com", i)
		e.Fingerprint = f.hash("tls", uint64(i)) + f.hash("tls2", uint64(i))
		e.Location, e.Key, e.FileOwner, e.Account = fmt.Sprintf("/etc/ssl/private/svc%d.key", i), "", "root", "root"
		e.FileMode = "0600"
		exp := f.now.Add(time.Duration(i%400-30) * 24 * time.Hour)
		e.ExpiresAt = &exp
		e.CreatedAt = &created
	}
	return e
}

// usage returns the day's uses on host h: logins into the host's
// accounts, some by people (human use), and reads of some key files.
func (f *fleet) usage(h int, at time.Time, ids []int) []*event.Event {
	var out []*event.Event
	for _, i := range ids {
		if i%20 < 15 || i%20 > 17 || i%7 == 0 { // accounts only; every 7th never used
			continue
		}
		used := at.Add(-time.Duration(i%600) * time.Second)
		actor := fmt.Sprintf("10.1.%d.%d", h%256, i%256)
		ev := event.EvidenceSSHLogin
		if i%37 == 0 {
			actor, ev = "jlee", event.EvidenceSudo
		}
		out = append(out, &event.Event{Type: event.TypeUsageEvidence, Plugin: "authlog", Time: at,
			Kind: event.KindOSServiceAccount, Principal: f.account(i), Account: f.account(i),
			Evidence: ev, Source: "/var/log/auth.log", UsedAt: &used, Actor: actor})
	}
	return out
}

// day returns every event of one round on host h, each scan closed by its
// scan_completed listing what it saw.
func (f *fleet) day(h, round int, owned []int, rng *rand.Rand) []*event.Event {
	at := f.now.Add(-time.Duration(f.rounds-1-round) * 24 * time.Hour).Add(-time.Duration(h%3600) * time.Second)
	name := f.host(h)
	byPlugin := map[string][]*event.Event{}
	for _, i := range owned {
		if f.removed(i, round) {
			continue
		}
		e := f.observed(i, h, at)
		byPlugin[e.Plugin] = append(byPlugin[e.Plugin], e)
	}
	var out []*event.Event
	for _, p := range plugins {
		scanID := f.hash("scan", uint64(round)*uint64(f.hosts)+uint64(h))
		var seen []string
		for _, e := range byPlugin[p] {
			e.ScanID = scanID
			f.finish(e, name, at)
			seen = append(seen, e.NHIID)
			out = append(out, e)
		}
		scan := &event.Scan{Full: true, StartedAt: at.Add(-time.Minute), FinishedAt: at, Part: 1, Parts: 1,
			Seen: seen, FilesScanned: int64(800 + rng.IntN(400)), BytesScanned: 1 << 22}
		if p == "authlog" {
			back := 30 * 24 * time.Hour
			if h%3 == 0 {
				back = 120 * 24 * time.Hour
			}
			scan.Coverage = []event.Coverage{
				{Source: "/var/log/auth.log", Evidence: event.EvidenceSSHLogin, From: at.Add(-back), To: at},
				{Source: "/var/log/auth.log", Evidence: event.EvidenceSudo, From: at.Add(-back), To: at},
			}
		}
		done := &event.Event{Type: event.TypeScanCompleted, Plugin: p, ScanID: scanID, Scan: scan}
		f.finish(done, name, at)
		out = append(out, done)
	}
	for _, u := range f.usage(h, at, owned) {
		f.finish(u, name, at)
		out = append(out, u)
	}
	hb := &event.Event{Type: event.TypeAgentHeartbeat, Heartbeat: &event.Heartbeat{Version: "0.9.3", OS: "linux",
		SpoolDepth: int64(rng.IntN(50)), CPUPercent: 1.5, RSSBytes: 40 << 20}}
	f.finish(hb, name, at)
	return append(out, hb)
}

func (f *fleet) finish(e *event.Event, host string, at time.Time) {
	f.seq++
	e.EventID = f.hash("event", f.seq)
	e.Time = at
	e.Complete("agent-"+host, host, at)
}
