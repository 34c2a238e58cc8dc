package crypto

import (
	"sync"
	"sync/atomic"

	"github.com/btcsuite/btcd/btcec/v2"
)

// DefaultTableMemory bounds the memory of the fixed-base tables a
// KeyCache keeps for its repeat keys (btcec backend): 64 MiB, the tables
// of the 1,191 keys that most recently became hot.
const DefaultTableMemory = 64 << 20

// TableBytes is the memory of one key's table: 704 affine points, 55 KiB.
const TableBytes = tableBytes

// tableAfterUses is the verification on which a key's table is built:
// its second. A table costs about ten verifications to build (see
// BenchmarkKeyTableBuild) and saves about half of each later one, so it
// pays for itself by the key's twentieth or so signature; a key seen
// twice is likely to be seen many more times (an account's stream of
// transactions), and one seen once costs nothing.
const tableAfterUses = 2

// tableCache bounds the tables held by the keys of one KeyCache: at most
// limit tables, the oldest dropped first (FIFO, as the KeyCache itself).
// A dropped key loses its table and its count of uses, so it must prove
// itself a repeat key again before it is given another.
type tableCache struct {
	limit int
	after uint32 // build on this use

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
	cache *tableCache // nil: never build a table for this key
	uses  atomic.Uint32
	table atomic.Pointer[keyTable]
}

// tableFor returns the key's table, building it on the use that makes
// the key a repeat key; nil until then, and always nil without a cache.
// Exactly one caller sees the count reach the threshold, so a table is
// built at most once while it is held, however many goroutines verify
// with the key; the others verify the slow way meanwhile.
func (kt *keyTables) tableFor(pub *btcec.PublicKey) *keyTable {
	if kt.cache == nil {
		return nil
	}
	if t := kt.table.Load(); t != nil {
		return t
	}
	if kt.uses.Load() >= kt.cache.after || kt.uses.Add(1) != kt.cache.after {
		return nil
	}
	var q btcec.JacobianPoint
	pub.AsJacobian(&q)
	t := newKeyTable(&q)
	if t == nil {
		return nil // a valid key never gets here; verify the slow way
	}
	kt.cache.builds.Add(1)
	kt.cache.hold(kt, t)
	return t
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
	old.table.Store(nil)
	old.uses.Store(0)
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
