// Package synth generates realistic NHI Radar events for fault tests and the
// ingest benchmark: a fleet of hosts reporting identities (about 380 bytes
// each on the wire), usage evidence, completed scans and heartbeats, with
// unique event ids and a fixed seed so runs compare.
package synth

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// Fleet generates events; it is not safe for concurrent use.
type Fleet struct {
	Hosts      int
	Identities int
	rng        *rand.Rand
	seq        uint64
	base       time.Time
	seed       uint64
}

// NewFleet returns a generator for hosts hosts sharing identities identities.
func NewFleet(seed uint64, hosts, identities int) *Fleet {
	return &Fleet{Hosts: hosts, Identities: identities, rng: rand.New(rand.NewPCG(seed, 0x6e6869)), seed: seed,
		base: time.Now().UTC().Add(-12 * time.Hour).Truncate(time.Second)}
}

func (f *Fleet) id(space string, n uint64) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%s/%d/%d", space, f.seed, n))
	return hex.EncodeToString(sum[:16])
}

// Next returns the next event: 80% observations, 14% usage evidence, 5%
// completed scans and 1% heartbeats.
func (f *Fleet) Next() *event.Event {
	f.seq++
	host := fmt.Sprintf("web-%04d", f.rng.IntN(f.Hosts))
	at := f.base.Add(time.Duration(f.seq%43200) * time.Second)
	var e *event.Event
	switch r := f.rng.IntN(100); {
	case r < 80:
		e = f.observed(host, at)
	case r < 94:
		e = f.usage(host, at)
	case r < 99:
		e = &event.Event{Type: event.TypeScanCompleted, Plugin: "credfiles", ScanID: f.id("scan", f.seq),
			Scan: &event.Scan{Full: true, StartedAt: at.Add(-time.Minute), FinishedAt: at, Part: 1, Parts: 1,
				Seen: []string{f.id("nhi", f.seq), f.id("nhi", f.seq+1)}, FilesScanned: 1200, BytesScanned: 1 << 22}}
	default:
		e = &event.Event{Type: event.TypeAgentHeartbeat, Heartbeat: &event.Heartbeat{Version: "0.9.3", OS: "linux",
			SpoolDepth: int64(f.rng.IntN(50)), Dropped: 0, CPUPercent: 1.5, RSSBytes: 40 << 20}}
	}
	e.EventID = f.id("event", f.seq)
	e.Time = at
	e.Complete("agent-"+host, host, at)
	return e
}

func (f *Fleet) observed(host string, at time.Time) *event.Event {
	n := f.rng.IntN(f.Identities)
	mod := at.Add(-30 * 24 * time.Hour)
	user := fmt.Sprintf("svc%03d", n%500)
	return &event.Event{Type: event.TypeNHIObserved, Plugin: "credfiles", ScanID: f.id("scan", uint64(n)),
		Kind: event.KindAWSAccessKey, Principal: fmt.Sprintf("AKIA%016X", uint64(n)*2654435761),
		Fingerprint: f.id("fp", uint64(n)) + f.id("fp2", uint64(n)),
		Location:    "/home/" + user + "/.aws/credentials", Key: "aws_secret_access_key",
		FileOwner: user, FileMode: "0600", Account: user, ModifiedAt: &mod,
		OwnerHints: []string{"profile:default", "home:" + user},
		Attrs:      map[string]string{"profile": "default", "region": "eu-west-1"}}
}

func (f *Fleet) usage(host string, at time.Time) *event.Event {
	n := f.rng.IntN(f.Identities)
	used := at.Add(-time.Minute)
	return &event.Event{Type: event.TypeUsageEvidence, Plugin: "authlog",
		Principal: fmt.Sprintf("AKIA%016X", uint64(n)*2654435761), Kind: event.KindAWSAccessKey,
		Evidence: event.EvidenceSSHLogin, Source: "/var/log/auth.log", UsedAt: &used,
		Actor: fmt.Sprintf("10.0.%d.%d", n%256, f.rng.IntN(256))}
}

// Encoded returns the next event's wire encoding.
func (f *Fleet) Encoded() []byte {
	b, err := event.Encode(f.Next())
	if err != nil {
		panic("synth: generated an invalid event: " + err.Error()) // a bug in this package
	}
	return b
}
