// Package findings is the pure model of governance findings: their stable
// ids, their states and the transition function that moves a finding from
// one analysis to the next. It touches no store and no network.
package findings

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cespare/xxhash/v2"
)

// States of a finding.
const (
	Open      = "open"
	Ticketed  = "ticketed"
	Verifying = "verifying"
	Resolved  = "resolved"
	Reopened  = "reopened"
	Accepted  = "accepted"
)

// Rules.
const (
	Dormant          = "dormant"
	Ownerless        = "ownerless"
	OwnerDeparted    = "owner_departed"
	LongLived        = "long_lived"
	Expired          = "expired"
	Expiring         = "expiring"
	Reused           = "reused"
	CrossEnvironment = "cross_environment"
	ExposedFile      = "exposed_file"
	SecretInCmdline  = "secret_in_command_line"
	HumanUse         = "human_use"
	Overprivileged   = "overprivileged"
)

// perHost rules are one finding per identity and host.
var perHost = map[string]bool{ExposedFile: true, SecretInCmdline: true, HumanUse: true, Overprivileged: true}

// PerHost reports whether rule yields one finding per host.
func PerHost(rule string) bool { return perHost[rule] }

// ID is the stable finding id: the same rule on the same identity (and host,
// for per-host rules) is the same finding across analyses and collectors.
func ID(rule, nhiID, host string) string { return KeyOf(rule, nhiID, host).ID() }

// Key is a finding id as the number it spells: an analysis holds hundreds
// of thousands of stored findings, and a number is a tenth of the memory of
// its hex string. Keys order as their ids do.
type Key uint64

// KeyOf is the key of the finding of rule on an identity (and host, for
// per-host rules): the first 8 bytes of a SHA-256 over the three.
func KeyOf(rule, nhiID, host string) Key {
	if !perHost[rule] {
		host = ""
	}
	var buf [160]byte // most ids fit: the hash needs no allocation
	b := append(append(append(append(append(buf[:0], rule...), 0), nhiID...), 0), host...)
	sum := sha256.Sum256(b)
	return Key(binary.BigEndian.Uint64(sum[:8]))
}

// ID spells the key as a finding id.
func (k Key) ID() string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(k))
	return "f-" + hex.EncodeToString(b[:])
}

// ParseKey reads a finding id back into its key.
func ParseKey(id string) (Key, error) {
	b, err := hex.DecodeString(strings.TrimPrefix(id, "f-"))
	if err != nil || len(b) != 8 || !strings.HasPrefix(id, "f-") {
		return 0, fmt.Errorf("finding id %q is not f- and 16 hex digits", id)
	}
	return Key(binary.BigEndian.Uint64(b)), nil
}

// Finding is one finding, every field of the DESIGN.md contract.
type Finding struct {
	FindingID     string    `json:"finding_id"`
	Rule          string    `json:"rule"`
	Severity      string    `json:"severity"`
	State         string    `json:"state"`
	NHIID         string    `json:"nhi_id"`
	Kind          string    `json:"kind"`
	Principal     string    `json:"principal"`
	Hosts         []string  `json:"hosts"`
	Locations     []string  `json:"locations"`
	Owner         string    `json:"owner"`
	OwnerStatus   string    `json:"owner_status"`
	FirstDetected time.Time `json:"first_detected"`
	LastDetected  time.Time `json:"last_detected"`
	ResolvedAt    time.Time `json:"resolved_at"`
	Evidence      []string  `json:"evidence"`
	Controls      []string  `json:"controls"`
	Policy        string    `json:"policy"`
}

// Observation is what a detector saw in this analysis: the finding's facts
// without its lifecycle.
type Observation struct {
	Rule        string
	Severity    string
	NHIID       string
	Kind        string
	Principal   string
	Host        string // for per-host rules
	Hosts       []string
	Locations   []string
	Owner       string
	OwnerStatus string
	Evidence    []string
	Policy      string
}

// Key is the observation's finding key.
func (o *Observation) Key() Key { return KeyOf(o.Rule, o.NHIID, o.Host) }

// Transition is one recorded state change.
type Transition struct {
	FindingID string    `json:"finding_id"`
	From      string    `json:"from"`
	To        string    `json:"to"`
	At        time.Time `json:"at"`
	Why       string    `json:"why"`
	By        string    `json:"by"`
}

// Input is what Next decides over besides the previous finding.
type Input struct {
	// Observed is nil when the detectors no longer see the finding.
	Observed *Observation
	// Rescanned: a complete full scan of the finding's hosts, started after
	// the finding was last detected, covered the identity. Only then may an
	// unseen finding resolve; an identity never re-scanned keeps its finding.
	Rescanned bool
	// Gone explains the resolution ("the full scan of web-01 at … no longer lists it").
	Gone string
	// Exempt and ExemptWhy: an exception covers the finding.
	Exempt    bool
	ExemptWhy string
	Now       time.Time
	// By names the actor recorded in transitions ("analyze").
	By string
}

// Next computes a finding's new state. prev is nil for a finding never
// stored. It returns nil when there is nothing to store (not seen, never
// stored), and the transitions that happened.
func Next(prev *Finding, in Input) (*Finding, []Transition) {
	by := in.By
	if by == "" {
		by = "analyze"
	}
	if in.Observed == nil {
		return vanish(prev, in, by)
	}
	f := fromObservation(prev, in.Observed, in.Now)
	from := ""
	if prev != nil {
		from = prev.State
	}
	to, why := target(from, in)
	f.State = to
	if to == from {
		return f, nil
	}
	if to == Reopened || to == Open {
		f.ResolvedAt = time.Time{}
	}
	return f, []Transition{{FindingID: f.FindingID, From: from, To: to, At: in.Now, Why: why, By: by}}
}

func target(from string, in Input) (string, string) {
	switch {
	case in.Exempt:
		return Accepted, "exception applies: " + in.ExemptWhy
	case from == "":
		return Open, "detected: " + first(in.Observed.Evidence)
	case from == Resolved:
		return Reopened, "holds again: " + first(in.Observed.Evidence)
	case from == Verifying:
		// Its ticket was closed: data from before the closure proves
		// nothing. The ticket sync reopens it once full scans started
		// after the closure still show it.
		return Verifying, ""
	case from == Accepted:
		return Reopened, "exception no longer applies" + suffix(in.ExemptWhy)
	}
	return from, ""
}

func vanish(prev *Finding, in Input, by string) (*Finding, []Transition) {
	if prev == nil {
		return nil, nil
	}
	if prev.State == Resolved || !in.Rescanned {
		return prev, nil
	}
	f := *prev
	f.State, f.ResolvedAt = Resolved, in.Now
	why := in.Gone
	if why == "" {
		why = "no longer holds"
	}
	f.Evidence = append(append([]string(nil), prev.Evidence...), "resolved: "+why)
	return &f, []Transition{{FindingID: f.FindingID, From: prev.State, To: Resolved, At: in.Now, Why: why, By: by}}
}

func fromObservation(prev *Finding, o *Observation, now time.Time) *Finding {
	f := &Finding{
		FindingID: o.Key().ID(), Rule: o.Rule, Severity: o.Severity, NHIID: o.NHIID, Kind: o.Kind,
		Principal: o.Principal, Hosts: o.Hosts, Locations: o.Locations, Owner: o.Owner,
		OwnerStatus: o.OwnerStatus, FirstDetected: now, LastDetected: now, Evidence: o.Evidence,
		Controls: slices.Clip(controls[o.Rule]), Policy: o.Policy, // one rule's list, shared: rows only read it
	}
	if prev != nil {
		f.FirstDetected, f.ResolvedAt = prev.FirstDetected, prev.ResolvedAt
	}
	return f
}

// Digest sums a finding row's content, when it was last detected aside:
// two rows of one finding with one digest say the same thing. xxhash, not
// FNV's byte at a time: an analysis sums every finding it observes, and
// FNV took 0.7 of a 200,000-identity fleet's 10 s (rows stored with an
// FNV digest are rewritten once, as rows from before digests were).
func (f *Finding) Digest() uint64 {
	var arr [2048]byte // one sum over one buffer: a write per string cost more than the hashing
	b := arr[:0]
	put := func(ss ...string) {
		for _, s := range ss {
			b = append(append(b, s...), 0)
		}
		b = append(b, 1)
	}
	put(f.FindingID, f.Rule, f.Severity, f.State, f.NHIID, f.Kind, f.Principal, f.Owner, f.OwnerStatus, f.Policy)
	b = binary.LittleEndian.AppendUint64(b, uint64(f.FirstDetected.Unix()))
	b = binary.LittleEndian.AppendUint64(b, uint64(f.ResolvedAt.Unix()))
	put(f.Hosts...)
	put(f.Locations...)
	put(f.Evidence...)
	put(f.Controls...)
	return xxhash.Sum64(b)
}

// Record is what an analysis needs of a stored finding to move it on
// without holding its evidence: its lifecycle and the digest of its row,
// compact (a fleet's analysis holds one per stored finding).
type Record struct {
	Key                          Key
	Rule, Severity, State, NHIID string
	// Host is a per-host finding's host, "" for identity-level rules.
	Host string
	// Unix seconds, 0 when unset.
	FirstDetected, LastDetected, ResolvedAt int64
	Digest                                  uint64
}

// Lifecycle is the part of a finding the state machine reads from its
// previous row when the finding is observed again.
func (r *Record) Lifecycle() *Finding { return r.LifecycleIn(new(Finding)) }

// LifecycleIn is Lifecycle written over f, for a caller that moves one
// observed finding after another through Next (which keeps nothing of an
// observed finding's previous one): an analysis does so hundreds of
// thousands of times.
func (r *Record) LifecycleIn(f *Finding) *Finding {
	hosts := f.Hosts[:0]
	*f = Finding{FindingID: r.Key.ID(), Rule: r.Rule, Severity: r.Severity, State: r.State, NHIID: r.NHIID,
		FirstDetected: unix(r.FirstDetected), LastDetected: unix(r.LastDetected), ResolvedAt: unix(r.ResolvedAt)}
	if r.Host != "" {
		f.Hosts = append(hosts, r.Host)
	}
	return f
}

// Unix is t in a Record: Unix seconds, 0 for the zero time.
func Unix(t time.Time) int64 {
	if t.Unix() <= 0 {
		return 0
	}
	return t.Unix()
}

func unix(s int64) time.Time {
	if s <= 0 {
		return time.Time{}
	}
	return time.Unix(s, 0).UTC()
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

func suffix(s string) string {
	if s == "" {
		return ""
	}
	return ": " + s
}
