package ledger

import (
	"crypto/sha256"
	"encoding/binary"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/tallyledger/tally/crypto"
	"github.com/tallyledger/tally/internal/fifocache"
)

// decodedTx is a transaction of a block or a CheckTx call on its way to
// execution.
type decodedTx struct {
	raw       []byte
	tx        *Tx            // nil when decodeErr is set; never written (the cache shares it)
	sender    crypto.Address // tx.Sender(), when tx is set
	decodeErr error          // undecodable or fails ValidateBasic
	sigErr    error          // signature does not verify
	key       [32]byte       // sigCacheKey, when keyed
	keyed     bool
}

func decodeTx(raw []byte) *decodedTx {
	tx, err := DecodeTx(raw)
	d := &decodedTx{raw: raw, tx: tx, decodeErr: err}
	if tx != nil {
		d.sender = tx.Sender()
	}
	return d
}

// sigCacheKey binds a cached verification to the exact transaction bytes
// and the chain: the same bytes verified for another chain do not count.
func sigCacheKey(chainID string, raw []byte) [32]byte {
	h := TxHash(raw)
	buf := make([]byte, 0, len(chainID)+binary.MaxVarintLen64+len(h))
	buf = binary.AppendUvarint(buf, uint64(len(chainID)))
	buf = append(buf, chainID...)
	buf = append(buf, h[:]...)
	return sha256.Sum256(buf)
}

// sigCache remembers transactions whose signatures verified, with their
// decoded form, so that a transaction checked by CheckTx is neither
// decoded nor verified again when the mempool rechecks it, nor in the
// proposal and the block. It is bounded: once full, the oldest entries go
// first. Only transactions that decoded and verified are cached, and a
// cached key names the exact bytes (and the chain), so a hit gives the
// same answer decoding and verifying would: block results never depend on
// the cache. A nil *sigCache holds nothing.
type sigCache struct {
	set *fifocache.Cache[[32]byte, cachedTx]
}

// cachedTx is a verified transaction's decoded form; never written.
type cachedTx struct {
	tx     *Tx
	sender crypto.Address
}

func newSigCache(limit int) *sigCache {
	if limit <= 0 {
		return nil
	}
	return &sigCache{set: fifocache.New[[32]byte, cachedTx](limit)}
}

func (c *sigCache) has(k [32]byte) bool {
	_, ok := c.get(k)
	return ok
}

func (c *sigCache) get(k [32]byte) (cachedTx, bool) {
	if c == nil {
		return cachedTx{}, false
	}
	return c.set.Get(k)
}

// add caches d, which decoded and verified.
func (c *sigCache) add(k [32]byte, d *decodedTx) {
	if c != nil {
		c.set.Add(k, cachedTx{tx: d.tx, sender: d.sender})
	}
}

// forget drops the entries of transactions that cannot run again (their
// nonce is used), to keep room for the mempool's.
func (c *sigCache) forget(k [32]byte) {
	if c != nil {
		c.set.Delete(k)
	}
}

func (c *sigCache) len() int {
	if c == nil {
		return 0
	}
	return c.set.Len()
}

// verifier checks transaction signatures, through the cache and in
// parallel.
type verifier struct {
	cache   *sigCache
	keys    *crypto.KeyCache
	workers int
	// hits and misses count lookups of the cache (signatures skipped and
	// signatures verified), for the node's metrics.
	hits, misses atomic.Uint64
}

func newVerifier(opts Options) *verifier {
	size := opts.SigCacheSize
	if size == 0 {
		size = DefaultSigCacheSize
	}
	workers := opts.VerifyWorkers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	keys := opts.KeyCacheSize
	if keys == 0 {
		keys = DefaultKeyCacheSize
	}
	return &verifier{cache: newSigCache(size), keys: crypto.NewKeyCache(keys), workers: workers}
}

// decode returns raw decoded, from the cache when its signature verified
// before (then sigErr is nil and hit is true).
func (v *verifier) decode(chainID string, raw []byte) (d *decodedTx, hit bool) {
	k := sigCacheKey(chainID, raw)
	if e, ok := v.cache.get(k); ok {
		v.hits.Add(1)
		return &decodedTx{raw: raw, tx: e.tx, sender: e.sender, key: k, keyed: true}, true
	}
	d = decodeTx(raw)
	d.key, d.keyed = k, true
	return d, false
}

// verifyOne verifies d (decoded, keyed, not from the cache) and caches it
// if its signature verifies.
func (v *verifier) verifyOne(chainID string, d *decodedTx) {
	v.misses.Add(1)
	if d.sigErr = d.tx.verifySignature(chainID, v.keys); d.sigErr == nil {
		v.cache.add(d.key, d)
	}
}

// decodeAll decodes a block's transactions and verifies those not cached,
// in parallel (verifyAll).
func (v *verifier) decodeAll(chainID string, raws [][]byte) []*decodedTx {
	out := make([]*decodedTx, len(raws))
	var todo []*decodedTx
	for i, raw := range raws {
		d, hit := v.decode(chainID, raw)
		out[i] = d
		if !hit && d.decodeErr == nil {
			todo = append(todo, d)
		}
	}
	v.misses.Add(uint64(len(todo)))
	v.verifyEach(chainID, todo)
	return out
}

// verifyAll sets sigErr on every decoded transaction. Transactions whose
// verification is cached are skipped; the others are verified by up to
// v.workers goroutines, each writing only its own transactions' slots, so
// the outcome is the same whatever the scheduling.
func (v *verifier) verifyAll(chainID string, txs []*decodedTx) {
	var todo []*decodedTx
	for _, d := range txs {
		if d.decodeErr != nil {
			continue
		}
		if !d.keyed {
			d.key, d.keyed = sigCacheKey(chainID, d.raw), true
		}
		if v.cache.has(d.key) {
			v.hits.Add(1)
			continue
		}
		todo = append(todo, d)
	}
	v.misses.Add(uint64(len(todo)))
	v.verifyEach(chainID, todo)
}

// verifyEach verifies every transaction of todo (decoded, keyed) on up to
// v.workers goroutines and caches those that verify.
func (v *verifier) verifyEach(chainID string, todo []*decodedTx) {
	check := func(d *decodedTx) {
		if d.sigErr = d.tx.verifySignature(chainID, v.keys); d.sigErr == nil {
			v.cache.add(d.key, d)
		}
	}
	workers := min(v.workers, len(todo))
	if workers <= 1 {
		for _, d := range todo {
			check(d)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(len(todo)) {
					return
				}
				check(todo[i])
			}
		}()
	}
	wg.Wait()
}
