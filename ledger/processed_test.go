package ledger

import (
	"maps"
	"reflect"
	"slices"
	"testing"
)

// TestProcessedBlockReuse runs the same blocks on two ledgers: one checks
// each block with ProcessTxs before FinalizeBlock (as a validator does, and
// reuses that pass), the other only finalizes (as replay and block sync
// do). Results, events, validator updates and app hashes must be equal
// block for block; the pass is reused only for the very transactions it
// checked, and for a transaction that looked at the last commit's signers
// only with the same signers.
func TestProcessedBlockReuse(t *testing.T) {
	g := testGenesis()
	g.Params.AdminThreshold = 1
	a, b := newTestChain(t, g), newTestChain(t, g)
	a.block()
	b.block()
	type step struct {
		name      string
		txs       func(c *testChain) [][]byte
		processed func(c *testChain) [][]byte // what ProcessTxs sees; nil: the same
		signers   [][]byte                    // ProcessTxs's signers; nil: the chain's
		reuse     bool
	}
	raws := func(c *testChain, bs ...*txb) [][]byte {
		next := maps.Clone(c.nonces) // each call starts from the committed nonces
		var out [][]byte
		for _, x := range bs {
			out = append(out, x.bytes(next))
		}
		return out
	}
	steps := []step{
		{"transfers", func(c *testChain) [][]byte {
			return raws(c, newTx(t).from(alice).to(bob).amount(5), newTx(t).from(bob).to(carol).amount(2), newTx(t).from(alice).to(carol).amount(1))
		}, nil, nil, true},
		{"mint and transfer", func(c *testChain) [][]byte {
			return raws(c, newTx(t).from(issuer).mint().to(alice).amount(50), newTx(t).from(alice).to(bob).amount(40))
		}, nil, nil, true},
		{"validator change, same signers", func(c *testChain) [][]byte {
			return raws(c, propose(admin1, actPower(validatorKey(7), 3)))
		}, nil, nil, true},
		{"validator change, other signers", func(c *testChain) [][]byte {
			return raws(c, propose(admin1, actPower(validatorKey(8), 2)))
		}, nil, append(slices.Clone(a.signers), make([]byte, 20)), false},
		{"another proposal was processed", func(c *testChain) [][]byte {
			return raws(c, newTx(t).from(carol).to(alice).amount(1))
		}, func(c *testChain) [][]byte {
			return raws(c, newTx(t).from(carol).to(alice).amount(2))
		}, nil, false},
		{"empty block", func(c *testChain) [][]byte { return nil }, nil, nil, true},
	}
	for _, s := range steps {
		txsA, txsB := s.txs(a), s.txs(b)
		checked := txsA
		if s.processed != nil {
			checked = s.processed(a)
		}
		h := a.l.nextHeight
		signers := a.signers
		if s.signers != nil {
			signers = s.signers
		}
		if err := a.l.ProcessTxs(BlockInfo{Height: h, Signers: signers}, checked); err != nil {
			t.Fatalf("%s: ProcessTxs: %v", s.name, err)
		}
		pb := a.l.processed
		if pb == nil {
			t.Fatalf("%s: no processed pass kept", s.name)
		}
		resA, err := a.l.FinalizeBlock(BlockInfo{Height: h, Signers: a.signers}, txsA)
		if err != nil {
			t.Fatal(err)
		}
		reused := pb != nil && len(txsA) > 0 && len(pb.results) > 0 && &resA.TxResults[0] == &pb.results[0]
		if len(txsA) > 0 && reused != s.reuse {
			t.Errorf("%s: reused %v, want %v", s.name, reused, s.reuse)
		}
		if a.l.processed != nil {
			t.Errorf("%s: the processed pass outlived FinalizeBlock", s.name)
		}
		resB, err := b.l.FinalizeBlock(BlockInfo{Height: h, Signers: b.signers}, txsB)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(resA, resB) {
			t.Fatalf("%s: results differ:\nprocessed first: %+v\nfinalized only:  %+v", s.name, resA, resB)
		}
		for _, c := range []*testChain{a, b} {
			if err := c.l.Commit(); err != nil {
				t.Fatal(err)
			}
			c.height = h
			c.refreshNonces()
		}
	}
}
