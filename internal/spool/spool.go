// Package spool is the durable, bounded, on-disk queue the agent and the
// collector share. The agent spools every event (synced to disk) before it
// is published and removes it only after Kafka acknowledged it, so an agent
// killed at any moment loses nothing it had spooled; when that spool is
// full the oldest events are dropped, and the drop is counted. The
// collector's ticket outbox is the same queue opened strict (OpenStrict):
// full, it refuses new entries rather than dropping a ticket operation.
package spool

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"go.etcd.io/bbolt"
)

var (
	bucketEvents = []byte("events")
	bucketMeta   = []byte("meta")
	keyBytes     = []byte("bytes")
	keyCount     = []byte("count")
	keyDropped   = []byte("dropped")
	keyResets    = []byte("resets")
)

// overhead is what each entry costs beyond its key and value in the byte
// accounting (sequence number and length prefix).
const overhead = 12

// Record is one message to spool: Kafka key and value.
type Record struct {
	Key, Value []byte
}

// Entry is a spooled record with its sequence number, which orders entries.
type Entry struct {
	Seq uint64
	Record
}

// Stats describes what the spool holds.
type Stats struct {
	// Depth is the number of entries and Bytes their size.
	Depth, Bytes int64
	// Dropped counts entries dropped because the spool was full, since it
	// was created.
	Dropped int64
	// Resets counts damaged spool files moved aside and replaced by an
	// empty one: the events they held are lost. It is kept in the fresh
	// file, so it reads 1 after a reset and survives restarts.
	Resets int64
}

// Spool is a durable FIFO bounded by bytes. It is safe for concurrent use.
type Spool struct {
	db       *bbolt.DB
	maxBytes int64
	// strict refuses an append over the bound (ErrFull) instead of
	// dropping the oldest entries.
	strict bool
	notify chan struct{}

	mu    sync.Mutex
	stats Stats
}

// Open opens or creates the spool file at path (mode 0600, directory 0700).
// maxBytes bounds the entries' size. A damaged file is moved aside to
// path.corrupt-<time>, logged on log (nil: slog.Default) and replaced by an
// empty spool; Stats.Resets counts it.
func Open(path string, maxBytes int64, log *slog.Logger) (*Spool, error) {
	return openSpool(path, maxBytes, false, log)
}

// OpenStrict is Open for a queue nothing may be dropped from: an Append
// that would pass maxBytes fails with ErrFull and appends nothing.
func OpenStrict(path string, maxBytes int64, log *slog.Logger) (*Spool, error) {
	return openSpool(path, maxBytes, true, log)
}

// ErrFull is a strict spool refusing an append over its bound.
var ErrFull = errors.New("spool: full")

func openSpool(path string, maxBytes int64, strict bool, log *slog.Logger) (*Spool, error) {
	if maxBytes <= 0 {
		return nil, errors.New("spool: max bytes must be positive")
	}
	if log == nil {
		log = slog.Default()
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	db, st, err := openChecked(path)
	var damaged *damagedError
	if errors.As(err, &damaged) {
		db, st, err = reset(path, err, log)
	}
	if err != nil {
		if errors.Is(err, bbolt.ErrTimeout) {
			return nil, fmt.Errorf("spool %s is locked: is another agent running? %w", path, err)
		}
		return nil, fmt.Errorf("spool: open %s: %w", path, err)
	}
	// bbolt creates the file with the mode given, but an existing file keeps
	// its own: tighten it.
	if err := os.Chmod(path, 0o600); err != nil {
		db.Close()
		return nil, fmt.Errorf("spool: %w", err)
	}
	s := &Spool{db: db, maxBytes: maxBytes, strict: strict, notify: make(chan struct{}, 1), stats: st}
	// The check read the whole file: do not keep it resident.
	_ = s.Release()
	return s, nil
}

// Close closes the spool file.
func (s *Spool) Close() error { return s.db.Close() }

// Stats returns what the spool holds now.
func (s *Spool) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// Notify returns a channel that receives a value after entries are appended.
func (s *Spool) Notify() <-chan struct{} { return s.notify }

func entrySize(keyLen, valueLen int) int64 { return int64(keyLen + valueLen + overhead) }

func encodeValue(r Record) []byte {
	b := make([]byte, 4+len(r.Key)+len(r.Value))
	binary.BigEndian.PutUint32(b, uint32(len(r.Key)))
	copy(b[4:], r.Key)
	copy(b[4+len(r.Key):], r.Value)
	return b
}

func decodeValue(b []byte) (Record, error) {
	if len(b) < 4 {
		return Record{}, errors.New("spool: corrupt entry")
	}
	n := int(binary.BigEndian.Uint32(b))
	if 4+n > len(b) {
		return Record{}, errors.New("spool: corrupt entry")
	}
	return Record{Key: append([]byte(nil), b[4:4+n]...), Value: append([]byte(nil), b[4+n:]...)}, nil
}

func seqKey(seq uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], seq)
	return k[:]
}

func getInt(b *bbolt.Bucket, k []byte) int64 {
	v := b.Get(k)
	if len(v) != 8 {
		return 0
	}
	return int64(binary.BigEndian.Uint64(v))
}

// readStats reads what the meta bucket records.
func readStats(m *bbolt.Bucket) Stats {
	return Stats{Bytes: getInt(m, keyBytes), Depth: getInt(m, keyCount), Dropped: getInt(m, keyDropped), Resets: getInt(m, keyResets)}
}

func putInt(b *bbolt.Bucket, k []byte, v int64) error {
	var buf [8]byte
	binary.BigEndian.PutUint64(buf[:], uint64(v))
	return b.Put(k, buf[:])
}

// Path is the spool's file.
func (s *Spool) Path() string { return s.db.Path() }
