package ledger

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"sync"
)

// Reader reads a flat key/value store.
type Reader interface {
	// Get returns the value of key, or nil (and no error) if it is absent.
	Get(key []byte) ([]byte, error)
	// Iterate calls fn for every key with the given prefix, in ascending
	// key order, stopping at the first error fn returns. The slices passed
	// to fn are only valid during the call.
	Iterate(prefix []byte, fn func(key, value []byte) error) error
}

// Snapshot is an immutable view of a store at one moment. Release frees it;
// reading a released snapshot is an error.
type Snapshot interface {
	Reader
	Release()
}

// Store is the flat key/value store under the ledger: LevelDB on disk
// (OpenLevelDBStore) or memory (NewMemStore).
type Store interface {
	Reader
	// Write applies every operation of b atomically; with sync it returns
	// only once the batch is durable.
	Write(b *Batch, sync bool) error
	// Snapshot returns a consistent read-only view of the current contents.
	Snapshot() (Snapshot, error)
	Close() error
}

// BatchOp is one operation of a Batch: a set, or a delete when Value is nil.
type BatchOp struct {
	Key   []byte
	Value []byte
}

// Batch is an ordered list of writes applied atomically by Store.Write.
type Batch struct {
	Ops []BatchOp
}

// Set adds a write of key=value (value must not be empty).
func (b *Batch) Set(key, value []byte) { b.Ops = append(b.Ops, BatchOp{Key: key, Value: value}) }

// Delete adds a deletion of key.
func (b *Batch) Delete(key []byte) { b.Ops = append(b.Ops, BatchOp{Key: key}) }

// Len returns the number of operations.
func (b *Batch) Len() int { return len(b.Ops) }

// ErrClosed is returned by a closed store or a released snapshot.
var ErrClosed = errors.New("store is closed")

// memStore is an in-memory Store for tests. Every Write replaces the map
// with a modified copy, so a snapshot is just a reference to the map.
type memStore struct {
	mu     sync.RWMutex
	data   map[string][]byte
	closed bool
}

// NewMemStore returns an empty in-memory store. It keeps nothing across
// processes; use it in tests.
func NewMemStore() Store { return &memStore{data: map[string][]byte{}} }

func (m *memStore) current() (map[string][]byte, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return nil, ErrClosed
	}
	return m.data, nil
}

func (m *memStore) Get(key []byte) ([]byte, error) {
	d, err := m.current()
	if err != nil {
		return nil, err
	}
	return mapGet(d, key), nil
}

func (m *memStore) Iterate(prefix []byte, fn func(key, value []byte) error) error {
	d, err := m.current()
	if err != nil {
		return err
	}
	return mapIterate(d, prefix, fn)
}

func (m *memStore) Write(b *Batch, _ bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	next := make(map[string][]byte, len(m.data)+len(b.Ops))
	for k, v := range m.data {
		next[k] = v
	}
	for _, op := range b.Ops {
		if op.Value == nil {
			delete(next, string(op.Key))
			continue
		}
		if len(op.Value) == 0 {
			return fmt.Errorf("write %q: empty value (values must not be empty)", op.Key)
		}
		next[string(op.Key)] = bytes.Clone(op.Value)
	}
	m.data = next
	return nil
}

func (m *memStore) Snapshot() (Snapshot, error) {
	d, err := m.current()
	if err != nil {
		return nil, err
	}
	return &memSnapshot{data: d}, nil
}

func (m *memStore) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	return nil
}

type memSnapshot struct {
	mu   sync.RWMutex
	data map[string][]byte
}

func (s *memSnapshot) current() (map[string][]byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.data == nil {
		return nil, ErrClosed
	}
	return s.data, nil
}

func (s *memSnapshot) Get(key []byte) ([]byte, error) {
	d, err := s.current()
	if err != nil {
		return nil, err
	}
	return mapGet(d, key), nil
}

func (s *memSnapshot) Iterate(prefix []byte, fn func(key, value []byte) error) error {
	d, err := s.current()
	if err != nil {
		return err
	}
	return mapIterate(d, prefix, fn)
}

func (s *memSnapshot) Release() {
	s.mu.Lock()
	s.data = nil
	s.mu.Unlock()
}

func mapGet(d map[string][]byte, key []byte) []byte {
	v, ok := d[string(key)]
	if !ok {
		return nil
	}
	return bytes.Clone(v)
}

func mapIterate(d map[string][]byte, prefix []byte, fn func(key, value []byte) error) error {
	keys := make([]string, 0, 16)
	for k := range d {
		if len(k) >= len(prefix) && k[:len(prefix)] == string(prefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := fn([]byte(k), d[k]); err != nil {
			return err
		}
	}
	return nil
}
