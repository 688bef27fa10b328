// Package planted holds the planted host: a tree under testdata/host that
// stands for a whole machine (accounts, sudoers, SSH keys, Kubernetes
// tokens, auth logs, credential files) with known identities, known usage
// and decoys, and the test that runs every built-in plugin over it.
//
// testdata/expected/<plugin>.jsonl lists what must be found, one JSON object
// a line whose fields must all equal the event's (type, kind, principal,
// location for an identity; type, evidence, principal for usage evidence).
// The test fails on any expectation not met (recall), any event no
// expectation accepts (precision), and any planted secret in an event, a log
// line or an error (leak). testdata/times.txt sets modification and access
// times on a copy of the tree, since git keeps neither.
package planted
