package crypto

import "sync"

// KeyCache keeps parsed public keys, so that an account's key is
// decompressed once rather than at every signature it makes. It holds at
// most its limit of keys, dropping the oldest first. Only keys that parsed
// are kept, so a hit gives the answer a parse would: results never depend
// on the cache. It is safe for concurrent use.
type KeyCache struct {
	mu    sync.RWMutex // hits only read
	keys  map[PubKey]*VerifyingKey
	ring  []PubKey
	next  int
	limit int
}

// NewKeyCache returns a cache of at most limit keys; a limit <= 0 gives a
// nil cache, which parses every time.
func NewKeyCache(limit int) *KeyCache {
	if limit <= 0 {
		return nil
	}
	return &KeyCache{keys: make(map[PubKey]*VerifyingKey), limit: limit}
}

// VerifyingKey returns the parsed form of the 33-byte compressed key b.
func (c *KeyCache) VerifyingKey(b []byte) (*VerifyingKey, error) {
	if len(b) != PubKeySize {
		_, err := parseCompressed(b) // says what is wrong
		return nil, err
	}
	p := PubKey(b)
	if c != nil {
		c.mu.RLock()
		k, ok := c.keys[p]
		c.mu.RUnlock()
		if ok {
			return k, nil
		}
	}
	k, err := p.VerifyingKey()
	if err != nil {
		return nil, err
	}
	if c != nil {
		c.add(p, k)
	}
	return k, nil
}

func (c *KeyCache) add(p PubKey, k *VerifyingKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.keys[p]; ok {
		return
	}
	if len(c.ring) < c.limit {
		c.ring = append(c.ring, p)
	} else {
		delete(c.keys, c.ring[c.next])
		c.ring[c.next] = p
		c.next = (c.next + 1) % c.limit
	}
	c.keys[p] = k
}

// Len is the number of keys held.
func (c *KeyCache) Len() int {
	if c == nil {
		return 0
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.keys)
}
