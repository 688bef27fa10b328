// Package owners is who is accountable for an identity: the owner directory
// (an IdP or HR export: people and teams, their status and manager) and the
// resolution of an identity's owner, with the reason that decided it.
//
// Order: the policy's owner rules first (first match wins), then what the
// host says (owner hints, the person whose account owns the file or holds
// the identity, the person whose home holds it). A departed owner's
// identities go to the nearest active manager for remediation.
//
// It is pure: no store, no network. analytics/policy loads the directory
// and compiles the rules; the detectors ask the policy.
package owners
