package crypto

import (
	"sync"
	"sync/atomic"

	"github.com/btcsuite/btcd/btcec/v2"
)

// DefaultTableMemory bounds the memory of the fixed-base tables a
// KeyCache keeps for its repeat keys (btcec backend): 64 MiB, the tables
// of the 1,489 keys that most recently became hot.
const DefaultTableMemory = 64 << 20

// TableBytes is the memory of one key's table: 704 affine points of 64
// bytes, 44 KiB.
const TableBytes = tableBytes

// tableAfterUses is the number of valid signatures a key must have
// verified before it is given a table, built on its next verification.
// A table costs B = 0.28 ms to build (BenchmarkKeyTableBuild: 6.7
// verifications without a table) and saves S = 23 µs on each later
// verification (BenchmarkVerifyRepeatKey: 19 µs with it, 42 µs without),
// so it pays for itself after B/S = 12 verifications with it. Whether a
// key will sign that many more times is not known when its table could
// be built; building it once the key has verified about B/S signatures
// without one (the rent-or-buy rule) never costs a key more than twice
// what the best choice made knowing its future would have cost: a key
// that signs many times pays 10 S (0.23 ms) more in all than with a
// table after two signatures, one that signs a dozen times and then
// rests builds no table and takes no table memory from the keys that
// need it. Measured in one run on an AMD EPYC. (When a key without a
// table went through btcec, 95 µs, B/S was about 4 and the number 2.)
// Only valid signatures count: signatures that do not verify, which
// anyone can make up for any key, never build a table.
const tableAfterUses = 12

// TableAfterValidSignatures is the number of valid signatures a key
// verifies through a KeyCache before it is given a table (btcec
// backend): the next verification builds it. Benchmarks that mean to
// measure keys with their tables verify one more first.
const TableAfterValidSignatures = tableAfterUses

// tableCache bounds the tables held by the keys of one KeyCache: at most
// limit tables, the oldest dropped first (FIFO, as the KeyCache itself).
// A dropped key loses its table and its count of valid signatures, so it
// must prove itself a repeat key again before it is given another.
type tableCache struct {
	limit int
	after uint32 // valid signatures before a table; 0 in tests: at once

	mu   sync.Mutex
	ring []*keyTables // keys holding a table, oldest at next once full
	next int

	builds atomic.Int64 // tables built, for tests and benchmarks
}

// newTableCache returns a cache of tables within memory bytes, nil (no
// tables) if not even one fits.
func newTableCache(memory int) *tableCache {
	limit := memory / tableBytes
	if limit <= 0 {
		return nil
	}
	return &tableCache{limit: limit, after: tableAfterUses}
}

// keyTables is the table state of one parsed key.
type keyTables struct {
	cache    *tableCache // nil: never build a table for this key
	uses     atomic.Uint32
	building atomic.Bool // set by the one builder, until the table is dropped
	table    atomic.Pointer[keyTable]
}

// tableFor returns the key's table, building it first if the key has
// verified enough valid signatures; nil until then, and always nil
// without a cache. Only the caller that sets building builds, so a table
// is built at most once while it is held, however many goroutines verify
// with the key; the others verify the slow way meanwhile.
func (kt *keyTables) tableFor(pub *btcec.PublicKey) *keyTable {
	if kt.cache == nil {
		return nil
	}
	if t := kt.table.Load(); t != nil {
		return t
	}
	if kt.uses.Load() < kt.cache.after || !kt.building.CompareAndSwap(false, true) {
		return nil
	}
	var q btcec.JacobianPoint
	pub.AsJacobian(&q)
	t := newKeyTable(&q)
	if t == nil {
		return nil // a key of the curve never gets here; stay slow
	}
	kt.cache.builds.Add(1)
	kt.cache.hold(kt, t)
	return t
}

// noteValid counts a valid signature verified without a table.
func (kt *keyTables) noteValid() {
	if kt.cache != nil && kt.uses.Load() < kt.cache.after {
		kt.uses.Add(1)
	}
}

// hold gives kt its table, dropping the oldest table if the cache is full.
func (c *tableCache) hold(kt *keyTables, t *keyTable) {
	c.mu.Lock()
	defer c.mu.Unlock()
	kt.table.Store(t)
	if len(c.ring) < c.limit {
		c.ring = append(c.ring, kt)
		return
	}
	old := c.ring[c.next]
	// A verification holding the old table finishes with it; the memory
	// goes when it does.
	old.uses.Store(0)
	old.table.Store(nil)
	old.building.Store(false)
	c.ring[c.next] = kt
	c.next = (c.next + 1) % c.limit
}

// held is the number of tables held.
func (c *tableCache) held() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.ring)
}
