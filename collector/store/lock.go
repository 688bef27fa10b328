package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// The migration lock. ClickHouse 18.16 has no transactions, advisory locks
// or conditional inserts, and rows inserted by two clients at once cannot be
// ordered reliably (a block's number is taken before it is committed). What
// it does have is one atomic test-and-set: CREATE TABLE without IF NOT
// EXISTS succeeds for exactly one client; the others get "already exists"
// (or "is creating right now"). So the lock is the existence of the table
// <db>.schema_migrations_lock, and its rows say who holds it until when
// (renewed while migrating). On a cluster the CREATE goes ON CLUSTER
// through the distributed DDL queue, which runs the first one everywhere
// and fails the later ones everywhere, and the table is replicated, so a
// collector on any node sees the holder.
//
// A holder that died leaves the table behind. It is taken over once its
// expiry (server time) has passed, by renaming it to a tombstone named after
// the dead holder: RENAME fails when the target exists, so two contenders
// that both saw the same dead holder cannot both take it over, and one that
// renamed a live holder's table by mistake (its reading was old) finds
// another owner in the tombstone and puts it back. The tombstone lives until
// the collector that made it releases the lock, which covers any contender
// whose reading of the dead holder is not older than a whole migration.
const lockTable = "schema_migrations_lock"

const defaultLockTTL = time.Minute

// migrationLock is one collector's claim on the lock.
type migrationLock struct {
	s       *Store
	owner   string
	ttl     time.Duration
	poll    time.Duration
	tombs   []string
	stop    chan struct{}
	stopped chan struct{}
}

// owner names this process and a random part, so that two collectors on
// one host (or one restarted with the same pid) never share a name.
func lockOwner() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	host, _ := os.Hostname()
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// lockMigrations waits until this collector holds the migration lock, then
// keeps it renewed until release.
func (s *Store) lockMigrations(ctx context.Context) (*migrationLock, error) {
	ttl := s.lockTTL
	if ttl <= 0 {
		ttl = defaultLockTTL
	}
	l := &migrationLock{s: s, owner: lockOwner(), ttl: ttl, poll: max(min(ttl/20, time.Second), 100*time.Millisecond)}
	var w waiting
	for {
		won, err := l.attempt(ctx, &w)
		if ctx.Err() != nil {
			return nil, fmt.Errorf("store: waiting for the migration lock %s (held by %q): %w", l.table(), w.logged, ctx.Err())
		}
		if err != nil {
			return nil, err
		}
		if won {
			l.renewEvery(ttl / 3)
			return l, nil
		}
		select {
		case <-ctx.Done():
		case <-time.After(l.poll):
		}
	}
}

// waiting is what a contender remembers between attempts.
type waiting struct {
	emptySince time.Time // when the table was first seen without a holder
	logged     string    // the holder last seen (and logged)
}

// attempt tries to create the lock once; failing that, it takes over a
// holder that let its lock expire, or a table left empty for a TTL.
func (l *migrationLock) attempt(ctx context.Context, w *waiting) (won bool, err error) {
	if won, err = l.tryCreate(ctx); won || err != nil {
		return won, err
	}
	holder, expired, err := l.holder(ctx)
	if err != nil {
		return false, err
	}
	if holder != "" {
		w.emptySince = time.Time{}
	}
	switch {
	case holder == "" && w.emptySince.IsZero():
		w.emptySince = time.Now() // created, its row not yet written: give it a TTL
	case holder == "" && time.Since(w.emptySince) > l.ttl:
		w.emptySince = time.Time{}
		return false, l.takeOver(ctx, "")
	case holder != "" && expired:
		return false, l.takeOver(ctx, holder)
	case holder != "" && holder != w.logged:
		w.logged = holder
		slog.Info("store: waiting for the migration lock", "database", l.s.cfg.Database, "holder", holder)
	}
	return false, nil
}

func (l *migrationLock) table() string { return l.s.cfg.Database + "." + lockTable }

func (l *migrationLock) onCluster() string {
	if l.s.cfg.Cluster == "" {
		return ""
	}
	return " ON CLUSTER " + l.s.cfg.Cluster
}

// tryCreate is the test-and-set: true when this collector created the lock
// table, false when another one exists.
func (l *migrationLock) tryCreate(ctx context.Context) (bool, error) {
	engine := "Log"
	if l.s.cfg.Cluster != "" {
		// A path of its own: a tombstone keeps the previous lock's path
		// until it is dropped.
		engine = fmt.Sprintf("ReplicatedMergeTree('/clickhouse/tables/all/%s/%s/%s', '{shard}_{replica}') ORDER BY expires",
			l.s.cfg.Database, lockTable, nonIdent.ReplaceAllString(l.owner, "_"))
	}
	err := l.s.conn.Exec(ctx, fmt.Sprintf("CREATE TABLE %s%s (owner String, expires UInt32) ENGINE = %s", l.table(), l.onCluster(), engine))
	if err != nil {
		if lostRace(err) {
			return false, nil
		}
		exists, xerr := l.s.tableExists(ctx, lockTable)
		if xerr != nil {
			return false, errors.Join(err, xerr)
		}
		if exists {
			return false, nil
		}
		return false, fmt.Errorf("store: create the migration lock %s: %w", l.table(), err)
	}
	if err := l.write(ctx); err != nil {
		return false, err
	}
	return true, nil
}

// lostRace: CREATE TABLE failed because another collector created the table
// first, or was creating it at that moment (then the table may not be
// listed yet).
func lostRace(err error) bool {
	const tableAlreadyExists = 57
	var ex *clickhouse.Exception
	if errors.As(err, &ex) && ex.Code == tableAlreadyExists {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "already exists") || strings.Contains(msg, "creating or attaching right now")
}

// write records (again) this holder and its expiry, in server time.
func (l *migrationLock) write(ctx context.Context) error {
	var now uint32
	if err := l.s.conn.QueryRow(ctx, "SELECT toUInt32(now())").Scan(&now); err != nil {
		return fmt.Errorf("store: read the server's clock: %w", err)
	}
	b, err := l.s.conn.PrepareBatch(ctx, "INSERT INTO "+l.table()+" (owner, expires)")
	if err != nil {
		return fmt.Errorf("store: write the migration lock: %w", err)
	}
	if err := b.Append(l.owner, now+uint32(l.ttl.Seconds()+0.5)); err != nil {
		return fmt.Errorf("store: write the migration lock: %w", err)
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("store: write the migration lock: %w", err)
	}
	return nil
}

// holder reads who holds the lock and whether its latest expiry has passed
// by the server's clock; "" when the table is empty or gone.
func (l *migrationLock) holder(ctx context.Context) (owner string, expired bool, err error) {
	return l.s.lockHolder(ctx, lockTable)
}

func (s *Store) lockHolder(ctx context.Context, table string) (owner string, expired bool, err error) {
	var n uint64
	var expires, now uint32
	row := s.conn.QueryRow(ctx, "SELECT count(), argMax(owner, expires), max(expires), toUInt32(now()) FROM "+s.cfg.Database+"."+table)
	if err := row.Scan(&n, &owner, &expires, &now); err != nil {
		if exists, xerr := s.tableExists(ctx, table); xerr == nil && !exists {
			return "", false, nil // released meanwhile
		}
		return "", false, fmt.Errorf("store: read the migration lock %s.%s: %w", s.cfg.Database, table, err)
	}
	if n == 0 {
		return "", false, nil
	}
	return owner, now >= expires, nil
}

var nonIdent = regexp.MustCompile(`[^A-Za-z0-9_]`)

// takeOver moves a dead holder's table aside; the next tryCreate competes
// for a fresh one.
func (l *migrationLock) takeOver(ctx context.Context, dead string) error {
	// A table left empty has no holder to name: the tombstone carries our
	// name then, so that a tombstone left behind never blocks a later one.
	name := dead
	if dead == "" {
		name = "empty_" + l.owner
	}
	tombName := lockTable + "_stale_" + nonIdent.ReplaceAllString(name, "_")
	tomb := l.s.cfg.Database + "." + tombName
	if err := l.s.conn.Exec(ctx, "RENAME TABLE "+l.table()+" TO "+tomb+l.onCluster()); err != nil {
		return nil // another collector took it over first, or it was released
	}
	owner, _, err := l.s.lockHolder(ctx, tombName)
	if err != nil {
		return err
	}
	if owner != dead {
		// Our reading was old: this was a live holder's lock. Give it back.
		if err := l.s.conn.Exec(ctx, "RENAME TABLE "+tomb+" TO "+l.table()+l.onCluster()); err != nil {
			return fmt.Errorf("store: give back the migration lock of %q moved aside by mistake: %w", owner, err)
		}
		return nil
	}
	slog.Warn("store: took over the migration lock of a holder that stopped renewing it", "database", l.s.cfg.Database, "holder", dead)
	l.tombs = append(l.tombs, tomb)
	return nil
}

// renewEvery keeps the expiry ahead of the clock while migrations run.
func (l *migrationLock) renewEvery(d time.Duration) {
	l.stop, l.stopped = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(l.stopped)
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			select {
			case <-l.stop:
				return
			case <-t.C:
				ctx, cancel := context.WithTimeout(context.Background(), d)
				if err := l.write(ctx); err != nil {
					slog.Warn("store: renewing the migration lock", "database", l.s.cfg.Database, "err", err)
				}
				cancel()
			}
		}
	}()
}

// release drops the lock if it is still this collector's, and the
// tombstones it made.
func (l *migrationLock) release(ctx context.Context) error {
	close(l.stop)
	<-l.stopped
	owner, _, err := l.holder(ctx)
	if err != nil {
		return err
	}
	if owner != l.owner {
		return fmt.Errorf("store: the migration lock %s passed to %q while this collector (%s) migrated: its renewal failed", l.table(), owner, l.owner)
	}
	for _, tomb := range append(l.tombs, l.table()) {
		if err := l.s.conn.Exec(ctx, "DROP TABLE IF EXISTS "+tomb+l.onCluster()); err != nil {
			return fmt.Errorf("store: release the migration lock: %w", err)
		}
	}
	return nil
}

func (s *Store) tableExists(ctx context.Context, table string) (bool, error) {
	var n uint64
	if err := s.conn.QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = ? AND name = ?", s.cfg.Database, table).Scan(&n); err != nil {
		return false, fmt.Errorf("store: look up table %s.%s: %w", s.cfg.Database, table, err)
	}
	return n > 0, nil
}
