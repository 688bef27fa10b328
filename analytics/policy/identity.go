// Package policy is the governance policy layer: it loads policy.yaml
// (environments, owner directory and rules, thresholds, CEL conditions,
// exceptions, ticketing) and answers the questions the detectors and the
// ticketing stage ask of it. It is pure: no store, no network.
package policy

import (
	"time"

	"github.com/nhiradar/nhiradar/analytics/owners"
)

// Identity is what the policy decides over: one identity of the inventory
// with the host-side facts the owner rules and CEL conditions match on.
type Identity struct {
	NHIID      string
	Kind       string
	Principal  string
	Hosts      []string
	Locations  []string
	Accounts   []string
	FileOwners []string
	OwnerHints []string
	// Namespace is the Kubernetes namespace for service-account tokens.
	Namespace string
	Attrs     map[string]string
}

// Thresholds are the limits that apply to one identity in one environment.
type Thresholds struct {
	// DormantAfter: no usage evidence for this long makes a used identity dormant.
	DormantAfter time.Duration
	// NeverUsedAfter: an identity never seen used is dormant this long after it was first known.
	NeverUsedAfter time.Duration
	// MaxAge: older static keys and tokens are long_lived (passwords use MaxPasswordAge).
	MaxAge         time.Duration
	MaxPasswordAge time.Duration
	// ExpiringWithin: an expiry closer than this raises expiring.
	ExpiringWithin time.Duration
	// ReviewEvery is the recertification cadence.
	ReviewEvery time.Duration
	// ReuseMaxHosts: the same fingerprint on more hosts than this is reused.
	ReuseMaxHosts int
}

// Exemption is the policy's verdict on an exception for one finding.
type Exemption struct {
	// Applies is true when a valid, authorised, unexpired exception covers the finding.
	Applies bool
	// Why is a plain sentence: the exception, its approver and expiry, or why it does not count.
	Why string
	// Source is file:line of the exception.
	Source string
}

// Decider is the interface the detectors and findings use. *Policy implements it.
type Decider interface {
	// Environment maps a host name to its environment ("" when none matches).
	Environment(host string) string
	// Thresholds for an identity on a host (per environment and kind overrides applied):
	// they depend on the host and the identity's kind alone, and callers may keep them so.
	Thresholds(id Identity, host string) Thresholds
	// LongestDormantAfter is the longest dormant window of any environment
	// and kind: a query may leave out uses older than that.
	LongestDormantAfter() time.Duration
	// Owner resolves ownership: rules first, then host-side hints.
	Owner(id Identity) owners.Ownership
	// Exempt says whether an exception covers rule on id (host may be "").
	Exempt(rule string, id Identity, host string, now time.Time) Exemption
	// Severity of a rule for an identity on a host: critical, high, medium or low.
	Severity(rule string, id Identity, host string) string
	// Enabled reports whether a rule fires at all for the identity (its CEL `when` condition).
	Enabled(rule string, id Identity, host string) bool
	// Source is file:line of the policy entry that governs rule ("defaults" when built in).
	Source(rule string) string
}
