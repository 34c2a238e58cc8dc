package crypto

import "github.com/tallyledger/tally/internal/fifocache"

// KeyCache keeps parsed public keys, so that an account's key is
// decompressed once rather than at every signature it makes. It holds at
// most its limit of keys, dropping the oldest first. Only keys that parsed
// are kept, so a hit gives the answer a parse would: results never depend
// on the cache. It is safe for concurrent use.
//
// With the btcec backend it also keeps, for keys that have verified
// twelve valid signatures (tableAfterUses), a fixed-base table that makes
// each later verification about 2.2 times as fast (fixedbase.go; without
// a table, varbase.go), within a bound of memory of its own
// (DefaultTableMemory); the answers are btcec's, bit for bit, table or
// not.
type KeyCache struct {
	keys   *fifocache.Cache[PubKey, *VerifyingKey]
	tables *tableCache
}

// NewKeyCache returns a cache of at most limit keys, with tables within
// DefaultTableMemory; a limit <= 0 gives a nil cache, which parses every
// time and keeps no tables.
func NewKeyCache(limit int) *KeyCache {
	return NewKeyCacheWithTables(limit, DefaultTableMemory)
}

// NewKeyCacheWithTables returns a cache of at most limit keys whose
// fixed-base tables take at most tableMemory bytes (TableBytes each);
// with less than one table's worth it keeps none. A limit <= 0 gives a
// nil cache.
func NewKeyCacheWithTables(limit, tableMemory int) *KeyCache {
	if limit <= 0 {
		return nil
	}
	return &KeyCache{
		keys:   fifocache.New[PubKey, *VerifyingKey](limit),
		tables: newTableCache(tableMemory),
	}
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
		if c.tables != nil {
			k.key.useTables(c.tables)
		}
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

// Tables is the number of fixed-base tables held.
func (c *KeyCache) Tables() int {
	if c == nil {
		return 0
	}
	return c.tables.held()
}
