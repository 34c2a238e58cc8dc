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
	tx        *Tx   // nil when decodeErr is set
	decodeErr error // undecodable or fails ValidateBasic
	sigErr    error // signature does not verify
}

func decodeTx(raw []byte) *decodedTx {
	tx, err := DecodeTx(raw)
	return &decodedTx{raw: raw, tx: tx, decodeErr: err}
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

// sigCache remembers transactions whose signatures verified, so that a
// transaction checked by CheckTx is not verified again in its block. It is
// bounded: once full, the oldest entries go first. Only successful
// verifications are cached, and a cached key names the exact bytes, so a
// hit gives the same answer a verification would: block results never
// depend on the cache. A nil *sigCache holds nothing.
type sigCache struct {
	set *fifocache.Cache[[32]byte, struct{}]
}

func newSigCache(limit int) *sigCache {
	if limit <= 0 {
		return nil
	}
	return &sigCache{set: fifocache.New[[32]byte, struct{}](limit)}
}

func (c *sigCache) has(k [32]byte) bool {
	if c == nil {
		return false
	}
	_, ok := c.set.Get(k)
	return ok
}

func (c *sigCache) add(k [32]byte) {
	if c != nil {
		c.set.Add(k, struct{}{})
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

// verifyOne checks one decoded transaction's signature and caches success.
func (v *verifier) verifyOne(chainID string, d *decodedTx) {
	if d.decodeErr != nil {
		return
	}
	k := sigCacheKey(chainID, d.raw)
	if v.cache.has(k) {
		v.hits.Add(1)
		return
	}
	v.misses.Add(1)
	if d.sigErr = d.tx.verifySignature(chainID, v.keys); d.sigErr == nil {
		v.cache.add(k)
	}
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
		if v.cache.has(sigCacheKey(chainID, d.raw)) {
			v.hits.Add(1)
			continue
		}
		todo = append(todo, d)
	}
	v.misses.Add(uint64(len(todo)))
	workers := min(v.workers, len(todo))
	if workers <= 1 {
		for _, d := range todo {
			if d.sigErr = d.tx.verifySignature(chainID, v.keys); d.sigErr == nil {
				v.cache.add(sigCacheKey(chainID, d.raw))
			}
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
				d := todo[i]
				if d.sigErr = d.tx.verifySignature(chainID, v.keys); d.sigErr == nil {
					v.cache.add(sigCacheKey(chainID, d.raw))
				}
			}
		}()
	}
	wg.Wait()
}
