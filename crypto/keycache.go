package crypto

import "github.com/tallyledger/tally/internal/fifocache"

// KeyCache keeps parsed public keys, so that an account's key is
// decompressed once rather than at every signature it makes. It holds at
// most its limit of keys, dropping the oldest first. Only keys that parsed
// are kept, so a hit gives the answer a parse would: results never depend
// on the cache. It is safe for concurrent use.
type KeyCache struct {
	keys *fifocache.Cache[PubKey, *VerifyingKey]
}

// NewKeyCache returns a cache of at most limit keys; a limit <= 0 gives a
// nil cache, which parses every time.
func NewKeyCache(limit int) *KeyCache {
	if limit <= 0 {
		return nil
	}
	return &KeyCache{keys: fifocache.New[PubKey, *VerifyingKey](limit)}
}

// VerifyingKey returns the parsed form of the 33-byte compressed key b.
func (c *KeyCache) VerifyingKey(b []byte) (*VerifyingKey, error) {
	if len(b) != PubKeySize {
		_, err := parseCompressed(b) // says what is wrong
		return nil, err
	}
	p := PubKey(b)
	if c != nil {
		if k, ok := c.keys.Get(p); ok {
			return k, nil
		}
	}
	k, err := p.VerifyingKey()
	if err != nil {
		return nil, err
	}
	if c != nil {
		c.keys.Add(p, k)
	}
	return k, nil
}

// Len is the number of keys held.
func (c *KeyCache) Len() int {
	if c == nil {
		return 0
	}
	return c.keys.Len()
}
