package spool

import (
	"encoding/binary"
	"errors"
	"fmt"

	"go.etcd.io/bbolt"
)

// Append spools records in one transaction, synced to disk before it
// returns. When the spool would exceed its bound, the oldest entries are
// dropped and counted; a record larger than the whole bound is dropped too.
func (s *Spool) Append(recs ...Record) error {
	if len(recs) == 0 {
		return nil
	}
	var st Stats
	err := s.db.Update(func(tx *bbolt.Tx) error {
		ev, m := tx.Bucket(bucketEvents), tx.Bucket(bucketMeta)
		st = readStats(m)
		for _, r := range recs {
			size := entrySize(len(r.Key), len(r.Value))
			if s.strict && st.Bytes+size > s.maxBytes {
				return ErrFull // the transaction rolls back: nothing appended
			}
			if size > s.maxBytes {
				st.Dropped++
				continue
			}
			seq, err := ev.NextSequence()
			if err != nil {
				return err
			}
			if err := ev.Put(seqKey(seq), encodeValue(r)); err != nil {
				return err
			}
			st.Bytes += size
			st.Depth++
		}
		if err := dropOldest(ev, &st, s.maxBytes); err != nil {
			return err
		}
		return putStats(m, st)
	})
	if errors.Is(err, ErrFull) {
		return fmt.Errorf("spool: append %d records: %w (%d of %d bytes used)", len(recs), err, st.Bytes, s.maxBytes)
	}
	if err != nil {
		return fmt.Errorf("spool: append %d records: %w", len(recs), err)
	}
	s.setStats(st)
	signal(s.notify)
	return nil
}

func dropOldest(ev *bbolt.Bucket, st *Stats, maxBytes int64) error {
	c := ev.Cursor()
	for k, v := c.First(); k != nil && st.Bytes > maxBytes; k, v = c.First() {
		n := int(binary.BigEndian.Uint32(v))
		st.Bytes -= entrySize(n, len(v)-4-n)
		st.Depth--
		st.Dropped++
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return nil
}

func putStats(m *bbolt.Bucket, st Stats) error {
	if err := putInt(m, keyBytes, st.Bytes); err != nil {
		return err
	}
	if err := putInt(m, keyCount, st.Depth); err != nil {
		return err
	}
	return putInt(m, keyDropped, st.Dropped)
}

func (s *Spool) setStats(st Stats) {
	s.mu.Lock()
	s.stats = st
	s.mu.Unlock()
}

// Peek returns up to n of the oldest entries, in order, stopping early once
// maxBytes of values are collected (at least one entry is returned).
func (s *Spool) Peek(n int, maxBytes int) ([]Entry, error) {
	var out []Entry
	err := s.db.View(func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketEvents).Cursor()
		size := 0
		for k, v := c.First(); k != nil && len(out) < n; k, v = c.Next() {
			if len(out) > 0 && size+len(v) > maxBytes {
				break
			}
			r, err := decodeValue(v)
			if err != nil {
				return fmt.Errorf("entry %d: %w", binary.BigEndian.Uint64(k), err)
			}
			out = append(out, Entry{Seq: binary.BigEndian.Uint64(k), Record: r})
			size += len(v)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("spool: peek: %w", err)
	}
	return out, nil
}

// Remove deletes every entry up to and including seq: what Kafka has
// acknowledged.
func (s *Spool) Remove(seq uint64) error {
	var st Stats
	err := s.db.Update(func(tx *bbolt.Tx) error {
		ev, m := tx.Bucket(bucketEvents), tx.Bucket(bucketMeta)
		st = readStats(m)
		c := ev.Cursor()
		for k, v := c.First(); k != nil && binary.BigEndian.Uint64(k) <= seq; k, v = c.First() {
			n := int(binary.BigEndian.Uint32(v))
			st.Bytes -= entrySize(n, len(v)-4-n)
			st.Depth--
			if err := c.Delete(); err != nil {
				return err
			}
		}
		return putStats(m, st)
	})
	if err != nil {
		return fmt.Errorf("spool: remove up to %d: %w", seq, err)
	}
	s.setStats(st)
	return nil
}

// RemoveEntries deletes exactly the entries with these sequence numbers,
// in one transaction: a queue whose consumer may skip an entry it could
// not execute (and must keep it) while it removes the ones after it.
func (s *Spool) RemoveEntries(seqs ...uint64) error {
	if len(seqs) == 0 {
		return nil
	}
	var st Stats
	err := s.db.Update(func(tx *bbolt.Tx) error {
		ev, m := tx.Bucket(bucketEvents), tx.Bucket(bucketMeta)
		st = readStats(m)
		for _, seq := range seqs {
			v := ev.Get(seqKey(seq))
			if v == nil {
				continue // already gone
			}
			n := int(binary.BigEndian.Uint32(v))
			st.Bytes -= entrySize(n, len(v)-4-n)
			st.Depth--
			if err := ev.Delete(seqKey(seq)); err != nil {
				return err
			}
		}
		return putStats(m, st)
	})
	if err != nil {
		return fmt.Errorf("spool: remove %d entries: %w", len(seqs), err)
	}
	s.setStats(st)
	return nil
}
