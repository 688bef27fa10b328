package spool

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"time"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// damagedError is a spool file bbolt cannot use: it failed to open, to
// pass the consistency check, or made bbolt panic. Such a file is moved
// aside rather than stopping the agent: restarted by its service manager,
// an agent that refused to start on its own damaged file would crash-loop
// forever and report nothing.
type damagedError struct{ err error }

func (e *damagedError) Error() string { return "damaged: " + e.err.Error() }
func (e *damagedError) Unwrap() error { return e.err }

// openChecked opens the bbolt file at path, checks its consistency and
// reads its stats. bbolt trusts the pages it reads and panics on some
// corruptions ("invalid freelist page"); the panic is turned into a
// damagedError. Faults on its mapping become panics too (SetPanicOnFault),
// except inside tx.Check's own goroutine, which recovers its panics itself.
func openChecked(path string) (db *bbolt.DB, st Stats, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			// The handle bbolt held when it panicked is lost with the
			// panic; it is one descriptor, once per damaged file.
			if db != nil {
				_ = db.Close()
			}
			db, err = nil, &damagedError{fmt.Errorf("bbolt panicked: %v", r)}
		}
	}()
	db, err = bbolt.Open(path, 0o600, &bbolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		if isCorrupt(err) {
			err = &damagedError{err}
		}
		return nil, st, err
	}
	if err = check(db); err == nil {
		st, err = initBuckets(db)
	}
	if err != nil {
		_ = db.Close()
		return nil, st, err
	}
	return db, st, nil
}

// isCorrupt tells the errors of a bad file from those of a locked or
// unreadable one, which moving the file aside would not cure.
func isCorrupt(err error) bool {
	return errors.Is(err, berrors.ErrInvalid) || errors.Is(err, berrors.ErrChecksum) ||
		errors.Is(err, berrors.ErrVersionMismatch) || errors.Is(err, berrors.ErrInvalidMapping)
}

// check runs bbolt's consistency check, then reads every entry as Peek
// would, so that a file that opens but cannot be drained is caught now and
// not by the publisher, which could only stop the agent.
func check(db *bbolt.DB) error {
	return db.View(func(tx *bbolt.Tx) error {
		var first error
		// Read the channel to its end: Check's goroutine blocks until then.
		for err := range tx.Check() {
			if first == nil {
				first = err
			}
		}
		if first != nil {
			return &damagedError{fmt.Errorf("consistency check: %w", first)}
		}
		ev := tx.Bucket(bucketEvents)
		if ev == nil {
			return nil
		}
		return ev.ForEach(func(k, v []byte) error {
			if len(k) != 8 {
				return &damagedError{fmt.Errorf("entry key of %d bytes", len(k))}
			}
			if _, err := decodeValue(v); err != nil {
				return &damagedError{err}
			}
			return nil
		})
	})
}

func initBuckets(db *bbolt.DB) (Stats, error) {
	var st Stats
	err := db.Update(func(tx *bbolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists(bucketEvents); err != nil {
			return err
		}
		m, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		st = readStats(m)
		return nil
	})
	if err != nil {
		return st, &damagedError{fmt.Errorf("init: %w", err)}
	}
	return st, nil
}

// reset moves the damaged file aside, kept for inspection, and opens a
// fresh spool in its place, which records that it replaced a damaged one.
func reset(path string, cause error, log *slog.Logger) (*bbolt.DB, Stats, error) {
	aside := path + ".corrupt-" + time.Now().UTC().Format("20060102T150405.000000000Z")
	if err := os.Rename(path, aside); err != nil {
		return nil, Stats{}, fmt.Errorf("spool %s is %v, and moving it aside failed: %w", path, cause, err)
	}
	log.Warn("spool file damaged: moved aside and started empty; the events it held are lost",
		"file", path, "moved_to", aside, "err", cause)
	pruneAside(path, log)
	db, st, err := openChecked(path)
	if err != nil {
		return nil, st, fmt.Errorf("spool: fresh %s after moving a damaged one aside: %w", path, err)
	}
	st.Resets++
	err = db.Update(func(tx *bbolt.Tx) error { return putInt(tx.Bucket(bucketMeta), keyResets, st.Resets) })
	if err != nil {
		db.Close()
		return nil, st, fmt.Errorf("spool: %s: %w", path, err)
	}
	return db, st, nil
}

// keepAside is how many damaged spool files are kept. A disk that keeps
// damaging the spool must not fill up with copies of it, each up to the
// spool's bound.
const keepAside = 3

// pruneAside removes all but the newest keepAside damaged files; their
// names sort by time.
func pruneAside(path string, log *slog.Logger) {
	old, err := filepath.Glob(path + ".corrupt-*")
	if err != nil || len(old) <= keepAside {
		return
	}
	sort.Strings(old)
	for _, f := range old[:len(old)-keepAside] {
		if err := os.Remove(f); err != nil {
			log.Warn("cannot remove an old damaged spool file", "file", f, "err", err)
		}
	}
}
