package ledger

import (
	"math"
	"testing"
)

// The ledger's own transaction index: by hash, and each account's history
// newest first with its length, written with the block's state.
func TestTransactionIndex(t *testing.T) {
	c := newTestChain(t, testGenesis())
	c.block(newTx(t).from(alice).to(bob).amount(1), newTx(t).from(alice).to(carol).amount(2))
	res := c.block(newTx(t).from(bob).to(alice).amount(3), newTx(t).from(alice).to(bob).amount(10_000)) // the second fails
	failed := c.block(newTx(t).from(alice).to(bob).amount(4)).TxResults
	if res.TxResults[1].Code != CodeInsufficient || failed[0].Code != CodeOK {
		t.Fatalf("setup: %v %v", res.TxResults[1], failed[0])
	}
	v := c.view()
	page, err := v.History(alice.addr, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != 5 || len(page.Txs) != 2 {
		t.Fatalf("alice: total %d, %d on page 1; want 5 and 2", page.Total, len(page.Txs))
	}
	if got := page.Txs[0]; got.Height != 3 || got.Index != 0 {
		t.Fatalf("newest of alice's history at %d/%d, want 3/0", got.Height, got.Index)
	}
	if got := page.Txs[1]; got.Height != 2 || got.Index != 1 || got.Code != CodeInsufficient || got.Log == "" {
		t.Fatalf("second newest %+v, want the failed transfer at 2/1 with its code and log", got)
	}
	last, err := v.History(alice.addr, 3, 2)
	if err != nil || last.Total != 5 || len(last.Txs) != 1 || last.Txs[0].Height != 1 || last.Txs[0].Index != 0 {
		t.Fatalf("alice page 3: %+v, %v; want her first transfer alone", last, err)
	}
	for _, p := range []struct{ page, per uint64 }{{4, 2}, {math.MaxUint64, 2}, {2, math.MaxUint64}, {math.MaxUint64, math.MaxUint64}} {
		if got, err := v.History(alice.addr, p.page, p.per); err != nil || got.Total != 5 || len(got.Txs) != 0 {
			t.Fatalf("page %d per %d: %+v, %v; want an empty page of 5", p.page, p.per, got, err)
		}
	}
	if got, err := v.History(alice.addr, 1, math.MaxUint64); err != nil || len(got.Txs) != 5 {
		t.Fatalf("per page 2^64-1: %d txs, %v; want all 5", len(got.Txs), err)
	}
	if got, err := v.History(carol.addr, 1, 30); err != nil || got.Total != 1 {
		t.Fatalf("carol: %+v, %v; want 1", got, err)
	}
	if got, err := v.History(stranger.addr, 1, 30); err != nil || got.Total != 0 || got.Txs == nil {
		t.Fatalf("stranger: %+v, %v; want an empty history", got, err)
	}
	rec, err := v.TxByHash(page.Txs[0].Hash())
	if err != nil || rec == nil || rec.Height != 3 {
		t.Fatalf("by hash: %+v, %v", rec, err)
	}
	if rec, err := v.TxByHash([32]byte{1}); err != nil || rec != nil {
		t.Fatalf("unknown hash: %+v, %v", rec, err)
	}
}

// The same bytes executed again (they fail their nonce) keep the first
// record; an unauthenticated transaction is found by hash, in no history.
func TestTransactionIndexKeepsTheFirstExecution(t *testing.T) {
	c := newTestChain(t, testGenesis())
	tx := newTx(t).from(alice).to(bob).nonce(0).bytes(nil)
	c.blockRaw(tx)
	c.blockRaw(tx, []byte("junk"))
	v := c.view()
	rec, err := v.TxByHash(TxHash(tx))
	if err != nil || rec == nil || rec.Height != 1 || rec.Code != CodeOK {
		t.Fatalf("record %+v, %v; want the successful one of height 1", rec, err)
	}
	if rec, err := v.TxByHash(TxHash([]byte("junk"))); err != nil || rec == nil || rec.Code != CodeMalformed {
		t.Fatalf("junk: %+v, %v", rec, err)
	}
	if h, _ := v.History(bob.addr, 1, 10); h.Total != 1 {
		t.Fatalf("bob's history has %d entries, want 1", h.Total)
	}
}

// Bytes refused for a nonce ahead of the account's can be included again
// once the account catches up, and then succeed: the success replaces the
// failure, so the transaction is found as it ended, once in the history.
func TestTransactionIndexSuccessReplacesEarlierFailure(t *testing.T) {
	c := newTestChain(t, testGenesis())
	ahead := newTx(t).from(alice).to(bob).amount(2).nonce(1).bytes(nil)
	if r := c.blockRaw(ahead).TxResults[0]; r.Code != CodeBadNonce {
		t.Fatalf("setup: nonce ahead gave %v", r)
	}
	if rec, _ := c.view().TxByHash(TxHash(ahead)); rec == nil || rec.Code != CodeBadNonce || rec.Height != 1 {
		t.Fatalf("after block 1: %+v, want the refusal at height 1", rec)
	}
	first := newTx(t).from(alice).to(bob).amount(1).nonce(0).bytes(nil)
	if rs := c.blockRaw(first, ahead).TxResults; rs[0].Code != CodeOK || rs[1].Code != CodeOK {
		t.Fatalf("setup: block 2 gave %v", rs)
	}
	c.blockRaw(ahead) // a third copy fails its nonce and changes nothing
	v := c.view()
	rec, err := v.TxByHash(TxHash(ahead))
	if err != nil || rec == nil || rec.Code != CodeOK || rec.Height != 2 || rec.Index != 1 {
		t.Fatalf("record %+v, %v; want the success at 2/1", rec, err)
	}
	h, err := v.History(alice.addr, 1, 10)
	if err != nil || h.Total != 2 || h.Txs[0].Hash() != TxHash(ahead) || h.Txs[0].Height != 2 {
		t.Fatalf("alice's history %+v, %v; want the two transfers of block 2", h, err)
	}
}

// The index is written in the block's batch: a commit that fails writes
// neither the state nor the index, and the block committed again counts
// each transaction once.
func TestTransactionIndexIsCommittedWithTheState(t *testing.T) {
	fs := &failingStore{Store: NewMemStore()}
	c := newTestChainOn(t, fs, testGenesis())
	c.block()
	tx := newTx(t).from(alice).to(bob).nonce(0).bytes(nil)
	for range 2 {
		if _, err := c.l.FinalizeBlock(BlockInfo{Height: 2, Signers: c.signers}, [][]byte{tx}); err != nil {
			t.Fatal(err)
		}
		fs.fail = true
		if err := c.l.Commit(); err == nil {
			t.Fatal("commit succeeded on a failing store")
		}
		fs.fail = false
		if v, _ := c.l.store.Get(TxIndexKey(TxHash(tx))); v != nil {
			t.Fatal("the index was written by a failed commit")
		}
	}
	if _, err := c.l.FinalizeBlock(BlockInfo{Height: 2, Signers: c.signers}, [][]byte{tx}); err != nil {
		t.Fatal(err)
	}
	if err := c.l.Commit(); err != nil {
		t.Fatal(err)
	}
	l2, err := Open(fs.Store, Options{})
	if err != nil {
		t.Fatal(err)
	}
	h, err := l2.View().History(bob.addr, 1, 10)
	if err != nil || h.Total != 1 || len(h.Txs) != 1 {
		t.Fatalf("bob after reopening: %+v, %v; want one entry", h, err)
	}
	if b, _ := l2.View().Balance(bob.addr, "TALLY"); b != 51 {
		t.Fatalf("bob holds %d, want 51", b)
	}
}

type failingStore struct {
	Store
	fail bool
}

func (s *failingStore) Write(b *Batch, sync bool) error {
	if s.fail {
		return errDiskFull
	}
	return s.Store.Write(b, sync)
}

var errDiskFull = Errorf(CodeInternal, "disk full")
