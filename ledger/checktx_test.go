package ledger

import (
	"bytes"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tallyledger/tally/crypto"
)

func TestCheckTxPendingNonces(t *testing.T) {
	c := newTestChain(t, testGenesis())
	// Before the first block, the check state is the staged genesis.
	next := map[crypto.Address]uint64{}
	tx0 := newTx(t).from(alice).to(bob).amount(10).bytes(next)
	wantResult(t, c.l.CheckTx(tx0, false), CodeOK, "")
	c.blockRaw(tx0)

	next = map[crypto.Address]uint64{alice.addr: 1}
	a1 := newTx(t).from(alice).to(bob).amount(40).bytes(next)
	a2 := newTx(t).from(alice).to(bob).amount(40).bytes(next)
	a3 := newTx(t).from(alice).to(bob).amount(40).bytes(next) // 90 - 80 = 10 left: fails
	gap := newTx(t).from(alice).nonce(9).bytes(nil)

	wantResult(t, c.l.CheckTx(a1, false), CodeOK, "")
	wantResult(t, c.l.CheckTx(a1, false), CodeBadNonce, "nonce 1 used, account expects 2")
	wantResult(t, c.l.CheckTx(gap, false), CodeBadNonce, "nonce 9 is ahead, account expects 2")
	wantResult(t, c.l.CheckTx(a2, false), CodeOK, "")
	wantResult(t, c.l.CheckTx(a3, false), CodeInsufficient, "insufficient TALLY: balance 10, need 40")
	if n, ok, err := c.l.PendingNonce(alice.addr); err != nil || !ok || n != 3 {
		t.Fatalf("pending nonce %d %v, want 3 (the failed a3 is not admitted)", n, ok)
	}
	if n, ok, err := c.l.PendingNonce(stranger.addr); err != nil || ok || n != 0 {
		t.Fatalf("stranger: %d %v", n, ok)
	}
	// The committed state is unchanged by CheckTx.
	if n := c.account(alice).Nonce; n != 1 {
		t.Fatalf("committed nonce %d", n)
	}

	// FinalizeBlock includes a1 only. CheckTx between FinalizeBlock and
	// Commit sees the committed state plus the mempool, never the block.
	h := c.l.nextHeight
	res, err := c.l.FinalizeBlock(BlockInfo{Height: h, Signers: c.signers}, [][]byte{a1})
	if err != nil {
		t.Fatal(err)
	}
	wantResult(t, res.TxResults[0], CodeOK, "")
	if n, _, _ := c.l.PendingNonce(alice.addr); n != 3 {
		t.Fatalf("pending nonce %d during the block, want 3", n)
	}
	if n := c.l.View().Height(); n != h-1 {
		t.Fatalf("view at %d before Commit", n)
	}
	b1 := newTx(t).from(bob).to(alice).amount(1).nonce(0).bytes(nil)
	wantResult(t, c.l.CheckTx(b1, false), CodeOK, "")
	if err := c.l.Commit(); err != nil {
		t.Fatal(err)
	}

	// Commit resets the check state; the mempool rechecks what is left, in
	// order: a2 and b1 still pass, a1 is now used.
	if n, _, _ := c.l.PendingNonce(alice.addr); n != 2 {
		t.Fatalf("pending nonce %d after Commit, want 2", n)
	}
	wantResult(t, c.l.CheckTx(a2, true), CodeOK, "")
	wantResult(t, c.l.CheckTx(b1, true), CodeOK, "")
	wantResult(t, c.l.CheckTx(a1, true), CodeBadNonce, "nonce 1 used")
	if n, _, _ := c.l.PendingNonce(alice.addr); n != 3 {
		t.Fatalf("pending nonce %d after recheck, want 3", n)
	}
}

func TestCheckTxRejectsAndHeight(t *testing.T) {
	c := newTestChain(t, testGenesis())
	c.block()
	c.block() // committed height 2: CheckTx checks for height 3
	wantResult(t, c.l.CheckTx(newTx(t).expiry(2).nonce(0).bytes(nil), false), CodeExpired, "expired at height 2, block height is 3")
	wantResult(t, c.l.CheckTx(newTx(t).expiry(3).nonce(0).bytes(nil), false), CodeOK, "")
	wantResult(t, c.l.CheckTx([]byte{0xff}, false), CodeMalformed, "")
	wantResult(t, c.l.CheckTx(newTx(t).from(stranger).nonce(0).bytes(nil), false), CodeUnknownAccount, "")
	wantResult(t, c.l.CheckTx(newTx(t).from(bob).nonce(0).chain("x").bytes(nil), false), CodeBadSignature, "")
}

// The signature cache: CheckTx fills it, FinalizeBlock uses it, and a
// block gives the same results with or without it.
func TestSignatureCache(t *testing.T) {
	g := testGenesis()
	var blocks [][][]byte
	next := map[crypto.Address]uint64{}
	for range 3 {
		var txs [][]byte
		for range 4 {
			txs = append(txs, newTx(t).from(alice).to(bob).amount(1).bytes(next))
		}
		txs = append(txs, newTx(t).from(bob).nonce(next[bob.addr]).tamper(func(tx *Tx) { tx.Signature[9] ^= 1 }).bytes(nil))
		blocks = append(blocks, txs)
	}
	run := func(opts Options, precheck bool) [][]byte {
		l, err := Open(NewMemStore(), opts)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		if _, err := l.InitChain(testChainID, 1, g); err != nil {
			t.Fatal(err)
		}
		var hashes [][]byte
		for i, txs := range blocks {
			if precheck {
				for _, tx := range txs {
					l.CheckTx(tx, false)
				}
				if l.verify.cache != nil && l.verify.cache.len() == 0 {
					t.Fatal("CheckTx cached nothing")
				}
			}
			res, err := l.FinalizeBlock(BlockInfo{Height: int64(i + 1), Signers: allSigners(g.Validators)}, txs)
			if err != nil {
				t.Fatal(err)
			}
			if res.TxResults[4].Code != CodeBadSignature {
				t.Fatalf("tampered tx: %v", res.TxResults[4])
			}
			if err := l.Commit(); err != nil {
				t.Fatal(err)
			}
			hashes = append(hashes, res.AppHash)
		}
		return hashes
	}
	want := run(Options{SigCacheSize: -1, VerifyWorkers: 1}, false)
	for _, o := range []struct {
		opts     Options
		precheck bool
	}{
		{Options{}, true},
		{Options{SigCacheSize: 2, VerifyWorkers: 3}, true},
		{Options{VerifyWorkers: 8}, false},
	} {
		got := run(o.opts, o.precheck)
		for i := range want {
			if !bytes.Equal(got[i], want[i]) {
				t.Fatalf("options %+v: block %d app hash differs", o.opts, i+1)
			}
		}
	}
	// The cache is bounded and keyed by chain.
	sc := newSigCache(2)
	k1, k2, k3 := sigCacheKey("a", []byte{1}), sigCacheKey("a", []byte{2}), sigCacheKey("a", []byte{3})
	if k1 == sigCacheKey("b", []byte{1}) {
		t.Fatal("cache key ignores the chain")
	}
	d := &decodedTx{}
	sc.add(k1, d)
	sc.add(k2, d)
	sc.add(k3, d)
	if sc.has(k1) || !sc.has(k2) || !sc.has(k3) || sc.len() != 2 {
		t.Fatal("cache does not evict the oldest entry")
	}
}

func TestPrepareAndProcess(t *testing.T) {
	c := newTestChain(t, testGenesis())
	c.block()
	next := map[crypto.Address]uint64{}
	good1 := newTx(t).from(alice).to(bob).amount(10).bytes(next)
	failing := newTx(t).from(alice).to(bob).amount(1000).bytes(next)
	good2 := newTx(t).from(bob).to(alice).amount(10).bytes(next)
	junk := []byte{0x01, 0x02}
	size := func(b []byte) int64 { return int64(len(b)) }
	got, err := c.l.PrepareTxs(BlockInfo{Height: 2, Signers: c.signers}, [][]byte{good1, failing, junk, good2}, 1<<20, size)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Txs) != 2 || !bytes.Equal(got.Txs[0], good1) || !bytes.Equal(got.Txs[1], good2) {
		t.Fatalf("prepared %d txs, want good1 and good2", len(got.Txs))
	}
	wantOmitted := []OmittedTx{
		{Index: 1, Hash: TxHashString(failing), Code: CodeInsufficient, Reason: "insufficient TALLY: balance 90, need 1000"},
		{Index: 2, Hash: TxHashString(junk), Code: CodeMalformed, Reason: "cannot decode transaction: "},
	}
	if len(got.Omitted) != len(wantOmitted) {
		t.Fatalf("omitted %+v, want %+v", got.Omitted, wantOmitted)
	}
	for i, w := range wantOmitted {
		o := got.Omitted[i]
		if o.Index != w.Index || o.Hash != w.Hash || o.Code != w.Code || !strings.HasPrefix(o.Reason, w.Reason) {
			t.Fatalf("omitted[%d] = %+v, want %+v", i, o, w)
		}
	}
	got, err = c.l.PrepareTxs(BlockInfo{Height: 2, Signers: c.signers}, [][]byte{good1, good2}, int64(len(good1)), size)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Txs) != 1 || len(got.Omitted) != 1 || got.Omitted[0].Index != 1 || got.Omitted[0].Code != CodeOK ||
		!strings.Contains(got.Omitted[0].Reason, "do not fit") {
		t.Fatalf("prepared %d txs within %d bytes, omitted %+v; want 1 and good2 for its size", len(got.Txs), len(good1), got.Omitted)
	}
	if _, err := c.l.PrepareTxs(BlockInfo{Height: 5, Signers: c.signers}, nil, 1<<20, size); err == nil {
		t.Fatal("PrepareTxs accepted the wrong height")
	}
	if err := c.l.ProcessTxs(BlockInfo{Height: 2, Signers: c.signers}, [][]byte{good1, good2}); err != nil {
		t.Fatalf("ProcessTxs: %v", err)
	}
	if err := c.l.ProcessTxs(BlockInfo{Height: 2, Signers: c.signers}, [][]byte{good1, failing}); CodeOf(err) != CodeInsufficient {
		t.Fatalf("ProcessTxs with a failing tx: %v", err)
	}
	if err := c.l.ProcessTxs(BlockInfo{Height: 2, Signers: c.signers}, [][]byte{junk}); CodeOf(err) != CodeMalformed {
		t.Fatalf("ProcessTxs with junk: %v", err)
	}
	if err := c.l.ProcessTxs(BlockInfo{Height: 5, Signers: c.signers}, nil); err == nil {
		t.Fatal("ProcessTxs accepted the wrong height")
	}
	// Neither changed the state.
	if n := c.account(alice).Nonce; n != 0 {
		t.Fatalf("alice's nonce %d", n)
	}
}

func TestLedgerLifecycleErrors(t *testing.T) {
	l, err := Open(NewMemStore(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := l.FinalizeBlock(BlockInfo{Height: 1}, nil); err == nil {
		t.Fatal("FinalizeBlock before InitChain")
	}
	if r := l.CheckTx(newTx(t).bytes(nil), false); r.Code == CodeOK {
		t.Fatal("CheckTx before InitChain")
	}
	if err := l.Commit(); err == nil {
		t.Fatal("Commit without a block")
	}
	if _, err := l.InitChain("", 1, testGenesis()); err == nil {
		t.Fatal("empty chain ID accepted")
	}
	bad := testGenesis()
	bad.Params.AdminThreshold = 0
	if _, err := l.InitChain(testChainID, 1, bad); err == nil {
		t.Fatal("invalid genesis accepted")
	}
	if _, err := l.InitChain(testChainID, 5, testGenesis()); err != nil {
		t.Fatal(err)
	}
	if _, err := l.FinalizeBlock(BlockInfo{Height: 1}, nil); err == nil {
		t.Fatal("wrong first height accepted")
	}
	if _, err := l.FinalizeBlock(BlockInfo{Height: 5}, nil); err != nil {
		t.Fatal(err)
	}
	if err := l.Commit(); err != nil {
		t.Fatal(err)
	}
	if l.LastHeight() != 5 || l.ChainID() != testChainID || len(l.LastAppHash()) != 32 {
		t.Fatalf("height %d chain %q", l.LastHeight(), l.ChainID())
	}
	if _, err := l.InitChain(testChainID, 1, testGenesis()); err == nil {
		t.Fatal("InitChain on a used ledger")
	}
}

// readFailStore fails every read of account records once armed, as a
// disk failing under the ledger would.
type readFailStore struct {
	Store
	armed *atomic.Bool
}

var errDisk = errors.New("simulated disk read failure")

func (s *readFailStore) Snapshot() (Snapshot, error) {
	snap, err := s.Store.Snapshot()
	if err != nil {
		return nil, err
	}
	return &readFailSnapshot{Snapshot: snap, armed: s.armed}, nil
}

type readFailSnapshot struct {
	Snapshot
	armed *atomic.Bool
}

func (s *readFailSnapshot) Get(key []byte) ([]byte, error) {
	if s.armed.Load() && bytes.HasPrefix(key, []byte(PrefixAccount)) {
		return nil, errDisk
	}
	return s.Snapshot.Get(key)
}

// A storage failure is reported as one by every step of the pipeline:
// never as a rejection of the transaction (an unknown sender...), never as
// a shorter proposal.
func TestPipelineStorageFailure(t *testing.T) {
	armed := &atomic.Bool{}
	c := newTestChainOn(t, &readFailStore{Store: NewMemStore(), armed: armed}, testGenesis())
	c.block()
	next := map[crypto.Address]uint64{}
	tx := newTx(t).from(alice).to(bob).amount(10).bytes(next)
	size := func(b []byte) int64 { return int64(len(b)) }
	armed.Store(true)

	if got, err := c.l.PrepareTxs(BlockInfo{Height: 2, Signers: c.signers}, [][]byte{tx}, 1<<20, size); !errors.Is(err, errDisk) || got != nil {
		t.Fatalf("PrepareTxs = %+v, %v; want no proposal and the storage error", got, err)
	}
	if err := c.l.ProcessTxs(BlockInfo{Height: 2, Signers: c.signers}, [][]byte{tx}); !errors.Is(err, errDisk) || CodeOf(err) != CodeInternal {
		t.Fatalf("ProcessTxs = %v; want the storage error", err)
	}
	if res, err := c.l.FinalizeBlock(BlockInfo{Height: 2, Signers: c.signers}, [][]byte{tx}); !errors.Is(err, errDisk) || res != nil {
		t.Fatalf("FinalizeBlock = %+v, %v; want the storage error", res, err)
	}
	if r := c.l.CheckTx(tx, false); r.Code != CodeInternal || !strings.Contains(r.Log, errDisk.Error()) {
		t.Fatalf("CheckTx = %+v; want code internal with the storage error", r)
	}
	if n, ok, err := c.l.PendingNonce(alice.addr); !errors.Is(err, errDisk) || ok || n != 0 {
		t.Fatalf("PendingNonce = %d, %v, %v; want the storage error, not an unknown account", n, ok, err)
	}

	armed.Store(false)
	wantResult(t, c.one(newTx(t).from(alice).to(bob).amount(10)), CodeOK, "")
}
