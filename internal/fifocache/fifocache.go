// Package fifocache is a bounded map that drops its oldest entries first.
// The ledger's caches of verified signatures and parsed public keys use
// it: both hold only answers that recomputing would give again, so which
// entries it keeps can change timings, never results.
package fifocache

import "sync"

// Cache maps keys to values and holds at most its limit of entries; once
// full, adding a key drops the oldest one still held. A nil *Cache holds
// nothing (every Get misses). It is safe for concurrent use; lookups only
// take a read lock.
type Cache[K comparable, V any] struct {
	mu    sync.RWMutex
	m     map[K]entry[V]
	ring  []K // ring[i] is the key added into slot i
	next  int // the slot the next add takes once the ring is full
	limit int
}

type entry[V any] struct {
	v    V
	slot int
}

// New returns a cache of at most limit entries; a limit <= 0 gives nil,
// a cache that holds nothing.
func New[K comparable, V any](limit int) *Cache[K, V] {
	if limit <= 0 {
		return nil
	}
	return &Cache[K, V]{m: make(map[K]entry[V]), limit: limit}
}

// Get returns the value held for k.
func (c *Cache[K, V]) Get(k K) (V, bool) {
	if c == nil {
		var zero V
		return zero, false
	}
	c.mu.RLock()
	e, ok := c.m[k]
	c.mu.RUnlock()
	return e.v, ok
}

// Add holds v for k, dropping the oldest entry if the cache is full. A key
// already held keeps its value and its place.
func (c *Cache[K, V]) Add(k K, v V) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; ok {
		return
	}
	slot := len(c.ring)
	if slot < c.limit {
		c.ring = append(c.ring, k)
	} else {
		slot = c.next
		old := c.ring[slot]
		// The old key may have been deleted, and even added again into
		// another slot since: drop it only if it still lives here.
		if e, ok := c.m[old]; ok && e.slot == slot {
			delete(c.m, old)
		}
		c.ring[slot] = k
		c.next = (c.next + 1) % c.limit
	}
	c.m[k] = entry[V]{v: v, slot: slot}
}

// Delete drops k. Its slot is reused when the ring comes round to it.
func (c *Cache[K, V]) Delete(k K) {
	if c == nil {
		return
	}
	c.mu.Lock()
	delete(c.m, k)
	c.mu.Unlock()
}

// Len is the number of entries held.
func (c *Cache[K, V]) Len() int {
	if c == nil {
		return 0
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
