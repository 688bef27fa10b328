// Package content is the built-in plugin that finds secrets in any file
// under configured paths using the gitleaks rule set as a library.
//
// It does not run every rule's regular expression over every file. One
// Aho-Corasick automaton over all rules' keywords walks each file (lower-cased
// into a reused buffer); a rule's regular expression then runs only over the
// lines around its keywords' hits. Matches are checked with the rule's
// entropy, secret group and allowlists, exactly as gitleaks defines them, and
// with the decoy filter shared with the credfiles plugin. Files are read by a
// pool of workers, each reusing its buffers; binary, oversized, excluded and
// non-regular files (symlinks included) are skipped.
//
// A raw secret never leaves a worker: findings carry the secret's HMAC
// fingerprint, the rule id, the variable name and the line number.
package content
