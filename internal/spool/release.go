package spool

import "go.etcd.io/bbolt"

// Release takes the spool file's pages out of the agent's resident memory.
// bbolt reads through a shared, read-only mapping of the file, so a backlog
// drained after a burst (a fast full scan) leaves megabytes of it resident
// for as long as the agent runs. The data stays in the page cache and on
// disk; the next read maps what it needs again.
func (s *Spool) Release() error {
	// A read transaction holds bbolt's mapping lock: the file cannot be
	// remapped while the pages are released.
	return s.db.View(func(tx *bbolt.Tx) error {
		return dontNeed(s.db.Info().Data, tx.Size())
	})
}
