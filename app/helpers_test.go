package app

import (
	"bytes"
	"context"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/crypto/ed25519"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"

	"github.com/tallyledger/tally/crypto"
	"github.com/tallyledger/tally/genesis"
	"github.com/tallyledger/tally/ledger"
)

const testChainID = "tally-test"

// testKey derives a deterministic account key from a seed byte.
func testKey(t testing.TB, seed byte) *crypto.PrivKey {
	t.Helper()
	k, err := crypto.PrivKeyFromBytes(bytes.Repeat([]byte{seed}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func addrOf(k *crypto.PrivKey) crypto.Address { return k.PubKey().Address() }

// actors of the test chain
type actors struct {
	admin, alice, bob, carol *crypto.PrivKey
	val                      ed25519.PrivKey
}

func newActors(t testing.TB) actors {
	return actors{
		admin: testKey(t, 1), alice: testKey(t, 2), bob: testKey(t, 3), carol: testKey(t, 4),
		val: ed25519.GenPrivKeyFromSecret([]byte("validator 0")),
	}
}

// genesisState: admin (admin, issuer of TALLY), alice with 1000 TALLY, bob
// with nothing; carol is not registered.
func (a actors) genesisState(t testing.TB, allowed ...string) *genesis.AppState {
	t.Helper()
	s := genesis.Default()
	must(t, s.AddAccount(addrOf(a.admin).String(), "admin"))
	must(t, s.AddAccount(addrOf(a.alice).String()))
	must(t, s.AddAccount(addrOf(a.bob).String()))
	must(t, s.AddAsset("TALLY", addrOf(a.admin).String()))
	must(t, s.AddBalance(addrOf(a.alice).String(), "TALLY", "1000"))
	for _, id := range allowed {
		must(t, s.AllowNode(id))
	}
	return s
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// txBuilder builds signed transactions: newTx(t, alice).nonce(0).transfer(bob, "TALLY", 5).bytes()
type txBuilder struct {
	t       testing.TB
	key     *crypto.PrivKey
	body    ledger.Body
	chainID string
}

func newTx(t testing.TB, from *crypto.PrivKey) *txBuilder {
	return &txBuilder{t: t, key: from, chainID: testChainID}
}

func (b *txBuilder) nonce(n uint64) *txBuilder  { b.body.Nonce = n; return b }
func (b *txBuilder) memo(m string) *txBuilder   { b.body.Memo = m; return b }
func (b *txBuilder) expiry(h uint64) *txBuilder { b.body.Expiry = h; return b }
func (b *txBuilder) chain(id string) *txBuilder { b.chainID = id; return b }

func (b *txBuilder) transfer(to *crypto.PrivKey, asset string, amount uint64) *txBuilder {
	b.body.Msg = ledger.Msg{Transfer: &ledger.Transfer{To: addrOf(to), Asset: asset, Amount: amount}}
	return b
}

func (b *txBuilder) propose(a ledger.Action, expiry uint64) *txBuilder {
	b.body.Msg = ledger.Msg{Propose: &ledger.Propose{Action: a, Expiry: expiry}}
	return b
}

func (b *txBuilder) bytes() []byte {
	return ledger.NewSignedTx(b.chainID, b.body, b.key).Encode()
}

// badSig returns the transaction with its signature altered.
func (b *txBuilder) badSig() []byte {
	tx := ledger.NewSignedTx(b.chainID, b.body, b.key)
	tx.Signature[10] ^= 0xff
	return tx.Encode()
}

// testChain drives an App through the ABCI calls CometBFT would make.
type testChain struct {
	t      testing.TB
	app    *App
	l      *ledger.Ledger
	actors actors
	height int64
}

func openApp(t testing.TB, store ledger.Store) (*App, *ledger.Ledger) {
	t.Helper()
	l, err := ledger.Open(store, ledger.Options{VerifyWorkers: 2})
	if err != nil {
		t.Fatal(err)
	}
	return New(l, nil), l
}

// newTestChain opens an app on store and runs InitChain.
func newTestChain(t testing.TB, store ledger.Store, allowed ...string) *testChain {
	t.Helper()
	return newTestChainWith(t, store, func(act actors) *genesis.AppState { return act.genesisState(t, allowed...) })
}

// newTestChainWith opens an app on store and runs InitChain with the
// genesis app state gen makes.
func newTestChainWith(t testing.TB, store ledger.Store, gen func(actors) *genesis.AppState) *testChain {
	t.Helper()
	a, l := openApp(t, store)
	c := &testChain{t: t, app: a, l: l, actors: newActors(t)}
	st, err := gen(c.actors).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	res, err := a.InitChain(context.Background(), &abci.RequestInitChain{
		ChainId:       testChainID,
		InitialHeight: 1,
		Validators:    []abci.ValidatorUpdate{abci.Ed25519ValidatorUpdate(c.actors.val.PubKey().Bytes(), 10)},
		AppStateBytes: st,
	})
	if err != nil {
		t.Fatalf("InitChain: %v", err)
	}
	if len(res.AppHash) != 32 {
		t.Fatalf("InitChain app hash is %d bytes, expected 32", len(res.AppHash))
	}
	return c
}

// lastCommit is a commit signed by the genesis validator.
func (c *testChain) lastCommit() abci.CommitInfo {
	return abci.CommitInfo{Votes: []abci.VoteInfo{{
		Validator:   abci.Validator{Address: c.actors.val.PubKey().Address(), Power: 10},
		BlockIdFlag: cmtproto.BlockIDFlagCommit,
	}}}
}

// finalize runs FinalizeBlock for the next height without committing.
func (c *testChain) finalize(txs ...[]byte) *abci.ResponseFinalizeBlock {
	c.t.Helper()
	res, err := c.app.FinalizeBlock(context.Background(), &abci.RequestFinalizeBlock{
		Txs: txs, Height: c.height + 1, DecidedLastCommit: c.lastCommit(),
	})
	if err != nil {
		c.t.Fatalf("FinalizeBlock %d: %v", c.height+1, err)
	}
	return res
}

func (c *testChain) commit() {
	c.t.Helper()
	if _, err := c.app.Commit(context.Background(), &abci.RequestCommit{}); err != nil {
		c.t.Fatalf("Commit %d: %v", c.height+1, err)
	}
	c.height++
}

// block finalizes and commits the next block.
func (c *testChain) block(txs ...[]byte) *abci.ResponseFinalizeBlock {
	c.t.Helper()
	res := c.finalize(txs...)
	c.commit()
	return res
}

func (c *testChain) checkTx(tx []byte) *abci.ResponseCheckTx {
	c.t.Helper()
	res, err := c.app.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: tx, Type: abci.CheckTxType_New})
	if err != nil {
		c.t.Fatalf("CheckTx: %v", err)
	}
	return res
}

func (c *testChain) query(path string, data []byte, prove bool) *abci.ResponseQuery {
	c.t.Helper()
	res, err := c.app.Query(context.Background(), &abci.RequestQuery{Path: path, Data: data, Prove: prove})
	if err != nil {
		c.t.Fatalf("Query %s: %v", path, err)
	}
	return res
}

func (c *testChain) info() *abci.ResponseInfo {
	c.t.Helper()
	res, err := c.app.Info(context.Background(), &abci.RequestInfo{})
	if err != nil {
		c.t.Fatal(err)
	}
	return res
}

// eventAttr returns the value of type.key in evs, and whether it is there
// and indexed.
func eventAttr(evs []abci.Event, typ, key string) (string, bool) {
	for _, e := range evs {
		if e.Type != typ {
			continue
		}
		for _, a := range e.Attributes {
			if a.Key == key && a.Index {
				return a.Value, true
			}
		}
	}
	return "", false
}
