package ledger

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tallyledger/tally/crypto"
)

// Readers and CheckTx run beside FinalizeBlock and Commit: every view they
// see is a whole committed block (supply equals the balances), and CheckTx
// never sees a block's working state.
func TestConcurrentReadsAndCheckTx(t *testing.T) {
	st, err := OpenLevelDBStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c := newTestChainOn(t, st, testGenesis())
	c.block()
	var stop atomic.Bool
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				v := c.l.View()
				a, _ := v.Balance(alice.addr, "TALLY")
				b, _ := v.Balance(bob.addr, "TALLY")
				asset, _ := v.Asset("TALLY")
				i, _ := v.Balance(issuer.addr, "TALLY")
				if a+b+i != asset.Supply {
					errs <- "a view mixes two blocks"
					return
				}
				if v.Height() > 1 {
					if _, _, err := v.Prove(AccountKey(alice.addr)); err != nil {
						errs <- err.Error()
						return
					}
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := uint64(0); !stop.Load(); i++ {
			// bob's transactions only ever see committed state + mempool.
			c.l.CheckTx(newTx(t).from(bob).to(alice).amount(1).nonce(i%5).bytes(nil), i%3 == 0)
			c.l.PendingNonce(bob.addr)
		}
	}()
	next := map[crypto.Address]uint64{}
	for range 40 {
		h := c.l.nextHeight
		raws := [][]byte{
			newTx(t).from(alice).to(bob).amount(1).bytes(next),
			newTx(t).from(issuer).mint().to(alice).amount(2).bytes(next),
		}
		res, err := c.l.FinalizeBlock(BlockInfo{Height: h, Signers: c.signers}, raws)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res.TxResults {
			wantResult(t, r, CodeOK, "")
		}
		if err := c.l.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	stop.Store(true)
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
}
