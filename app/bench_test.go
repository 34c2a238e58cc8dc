package app

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/tallyledger/tally/crypto"
	"github.com/tallyledger/tally/genesis"
	"github.com/tallyledger/tally/ledger"
)

// BenchmarkBlockLifecycle measures the app's share of a block as CometBFT
// drives it on a validator: CheckTx of every transaction, PrepareProposal,
// ProcessProposal, FinalizeBlock and Commit, for blocks of 500 transfers
// between 500 funded accounts on a memory store. Reports transactions per
// second of that pipeline (consensus and networking excluded).
func BenchmarkBlockLifecycle(b *testing.B) {
	const perBlock = 500
	act := newActors(b)
	keys := make([]*crypto.PrivKey, perBlock)
	st := genesis.Default()
	must(b, st.AddAccount(addrOf(act.admin).String(), "admin"))
	must(b, st.AddAsset("TALLY", addrOf(act.admin).String()))
	for i := range keys {
		seed := sha256.Sum256(binary.BigEndian.AppendUint32(nil, uint32(i)))
		k, err := crypto.PrivKeyFromBytes(seed[:])
		if err != nil {
			b.Fatal(err)
		}
		keys[i] = k
		must(b, st.AddAccount(addrOf(k).String()))
		must(b, st.AddBalance(addrOf(k).String(), "TALLY", "1000000000"))
	}
	raw, err := st.Marshal()
	if err != nil {
		b.Fatal(err)
	}
	a, l := openApp(b, ledger.NewMemStore())
	defer l.Close()
	ctx := context.Background()
	if _, err := a.InitChain(ctx, &abci.RequestInitChain{
		ChainId: testChainID, InitialHeight: 1, AppStateBytes: raw,
		Validators: []abci.ValidatorUpdate{abci.Ed25519ValidatorUpdate(act.val.PubKey().Bytes(), 10)},
	}); err != nil {
		b.Fatal(err)
	}
	c := &testChain{t: b, app: a, l: l, actors: act}
	c.block()

	// Pre-sign every block's transactions outside the timer.
	blocks := make([][][]byte, b.N)
	for n := range blocks {
		txs := make([][]byte, perBlock)
		for i := range txs {
			to := keys[(i+1)%perBlock]
			txs[i] = newTx(b, keys[i]).nonce(uint64(n)).transfer(to, "TALLY", 1).bytes()
		}
		blocks[n] = txs
	}
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		txs := blocks[n]
		for _, tx := range txs {
			if r, _ := a.CheckTx(ctx, &abci.RequestCheckTx{Tx: tx}); r.Code != 0 {
				b.Fatalf("CheckTx: %d %s", r.Code, r.Log)
			}
		}
		h := c.height + 1
		prep, _ := a.PrepareProposal(ctx, &abci.RequestPrepareProposal{Txs: txs, MaxTxBytes: 1 << 22, Height: h})
		if len(prep.Txs) != perBlock {
			b.Fatalf("PrepareProposal kept %d of %d", len(prep.Txs), perBlock)
		}
		if r, _ := a.ProcessProposal(ctx, &abci.RequestProcessProposal{Txs: prep.Txs, Height: h}); r.Status != abci.ResponseProcessProposal_ACCEPT {
			b.Fatal("ProcessProposal rejected the block")
		}
		c.block(prep.Txs...)
	}
	b.ReportMetric(float64(b.N*perBlock)/b.Elapsed().Seconds(), "tx/s")
}
