package ledger

import (
	"errors"
	"fmt"
	"strings"
	"syscall"

	"github.com/syndtr/goleveldb/leveldb"
	lerrors "github.com/syndtr/goleveldb/leveldb/errors"
	"github.com/syndtr/goleveldb/leveldb/filter"
	"github.com/syndtr/goleveldb/leveldb/opt"
	"github.com/syndtr/goleveldb/leveldb/util"
)

// levelStore is a Store on goleveldb.
type levelStore struct {
	db  *leveldb.DB
	dir string
}

// OpenLevelDBStore opens (creating if needed) the LevelDB database in dir.
// It fails with a clear error when another process holds the database or
// when its files are corrupt.
func OpenLevelDBStore(dir string) (Store, error) {
	db, err := leveldb.OpenFile(dir, &opt.Options{
		Strict: opt.DefaultStrict,
		// Blocks read random accounts: a bloom filter spares the tables
		// that do not hold a key, a larger block cache keeps hot blocks
		// decoded.
		Filter:             filter.NewBloomFilter(10),
		BlockCacheCapacity: 64 << 20,
		WriteBuffer:        16 << 20,
	})
	if err != nil {
		var corrupt *lerrors.ErrCorrupted
		switch {
		case errors.As(err, &corrupt):
			return nil, fmt.Errorf("ledger database %s is corrupt: %w", dir, err)
		case isLockError(err):
			return nil, fmt.Errorf("ledger database %s is locked: another process (a running tallyd?) has it open: %v", dir, err)
		default:
			return nil, fmt.Errorf("open ledger database %s: %w", dir, err)
		}
	}
	return &levelStore{db: db, dir: dir}, nil
}

// isLockError recognises goleveldb's failure to take the directory's file
// lock (flock returns EAGAIN or EWOULDBLOCK when another process holds it).
func isLockError(err error) bool {
	if errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EWOULDBLOCK) {
		return true
	}
	msg := strings.ToLower(err.Error())
	return strings.Contains(msg, "resource temporarily unavailable") || strings.Contains(msg, "locked")
}

func (s *levelStore) Get(key []byte) ([]byte, error) {
	v, err := s.db.Get(key, nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, s.wrap(err)
	}
	return v, nil
}

func (s *levelStore) Iterate(prefix []byte, fn func(key, value []byte) error) error {
	return iterateLevel(s.db.NewIterator(util.BytesPrefix(prefix), nil), fn)
}

type levelIterator interface {
	Next() bool
	Key() []byte
	Value() []byte
	Release()
	Error() error
}

func iterateLevel(it levelIterator, fn func(key, value []byte) error) error {
	defer it.Release()
	for it.Next() {
		if err := fn(it.Key(), it.Value()); err != nil {
			return err
		}
	}
	return it.Error()
}

func (s *levelStore) Write(b *Batch, sync bool) error {
	var lb leveldb.Batch
	for _, op := range b.Ops {
		if op.Value == nil {
			lb.Delete(op.Key)
			continue
		}
		if len(op.Value) == 0 {
			return fmt.Errorf("write %q: empty value (values must not be empty)", op.Key)
		}
		lb.Put(op.Key, op.Value)
	}
	if err := s.db.Write(&lb, &opt.WriteOptions{Sync: sync}); err != nil {
		return s.wrap(err)
	}
	return nil
}

func (s *levelStore) Snapshot() (Snapshot, error) {
	snap, err := s.db.GetSnapshot()
	if err != nil {
		return nil, s.wrap(err)
	}
	return &levelSnapshot{snap: snap}, nil
}

func (s *levelStore) Close() error { return s.wrap(s.db.Close()) }

func (s *levelStore) wrap(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, leveldb.ErrClosed) {
		return ErrClosed
	}
	return fmt.Errorf("ledger database %s: %w", s.dir, err)
}

type levelSnapshot struct {
	snap *leveldb.Snapshot
}

func (s *levelSnapshot) Get(key []byte) ([]byte, error) {
	v, err := s.snap.Get(key, nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return nil, nil
	}
	if errors.Is(err, leveldb.ErrSnapshotReleased) || errors.Is(err, leveldb.ErrClosed) {
		return nil, ErrClosed
	}
	return v, err
}

func (s *levelSnapshot) Iterate(prefix []byte, fn func(key, value []byte) error) error {
	err := iterateLevel(s.snap.NewIterator(util.BytesPrefix(prefix), nil), fn)
	if errors.Is(err, leveldb.ErrSnapshotReleased) || errors.Is(err, leveldb.ErrClosed) {
		return ErrClosed
	}
	return err
}

func (s *levelSnapshot) Release() { s.snap.Release() }
