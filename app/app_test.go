package app

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/crypto/secp256k1"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/tallyledger/tally/genesis"
	"github.com/tallyledger/tally/ledger"
	"github.com/tallyledger/tally/version"
	"github.com/tallyledger/tally/wire"
)

func TestInfoBeforeAndAfterBlocks(t *testing.T) {
	a, _ := openApp(t, ledger.NewMemStore())
	info, err := a.Info(context.Background(), &abci.RequestInfo{})
	if err != nil {
		t.Fatal(err)
	}
	if info.LastBlockHeight != 0 || len(info.LastBlockAppHash) != 0 || info.AppVersion != ProtocolVersion || info.Version != version.String() {
		t.Fatalf("fresh Info = %+v", info)
	}

	c := newTestChain(t, ledger.NewMemStore())
	res := c.block()
	info = c.info()
	if info.LastBlockHeight != 1 || !bytes.Equal(info.LastBlockAppHash, res.AppHash) {
		t.Fatalf("Info after block 1: height %d hash %X, expected 1 and %X", info.LastBlockHeight, info.LastBlockAppHash, res.AppHash)
	}
}

func TestInitChainRejectsInvalidGenesis(t *testing.T) {
	act := newActors(t)
	good, err := act.genesisState(t).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	ed := abci.Ed25519ValidatorUpdate(act.val.PubKey().Bytes(), 10)
	secp := abci.UpdateValidator(secp256k1.GenPrivKey().PubKey().Bytes(), 10, "secp256k1")
	for _, tc := range []struct {
		name     string
		appState []byte
		vals     []abci.ValidatorUpdate
		want     string
	}{
		{"no app_state", nil, []abci.ValidatorUpdate{ed}, "no app_state"},
		{"not JSON", []byte("{"), []abci.ValidatorUpdate{ed}, "app_state"},
		{"unknown field", []byte(`{"params":{"admin_threshold":1},"bogus":1}`), []abci.ValidatorUpdate{ed}, "bogus"},
		{"no admin", []byte(`{"params":{"admin_threshold":1},"accounts":[],"assets":[],"balances":[],"allowed_nodes":[]}`), []abci.ValidatorUpdate{ed}, "admin"},
		{"secp256k1 validator", good, []abci.ValidatorUpdate{secp}, "expected ed25519"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, _ := openApp(t, ledger.NewMemStore())
			_, err := a.InitChain(context.Background(), &abci.RequestInitChain{
				ChainId: testChainID, InitialHeight: 1, Validators: tc.vals, AppStateBytes: tc.appState,
			})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("InitChain error %v, expected one mentioning %q", err, tc.want)
			}
		})
	}
}

func TestCheckTxPendingNoncesInOrder(t *testing.T) {
	c := newTestChain(t, ledger.NewMemStore())
	c.block()
	alice, bob := c.actors.alice, c.actors.bob
	for n := uint64(0); n < 3; n++ {
		if r := c.checkTx(newTx(t, alice).nonce(n).transfer(bob, "TALLY", 1).bytes()); r.Code != 0 {
			t.Fatalf("nonce %d: code %d %s", n, r.Code, r.Log)
		}
	}
	for _, tc := range []struct {
		name string
		tx   []byte
		code ledger.Code
	}{
		{"nonce gap", newTx(t, alice).nonce(5).transfer(bob, "TALLY", 1).bytes(), ledger.CodeBadNonce},
		{"nonce reused", newTx(t, alice).nonce(1).memo("again").transfer(bob, "TALLY", 1).bytes(), ledger.CodeBadNonce},
		{"bad signature", newTx(t, alice).nonce(3).transfer(bob, "TALLY", 1).badSig(), ledger.CodeBadSignature},
		{"other chain", newTx(t, alice).nonce(3).chain("other").transfer(bob, "TALLY", 1).bytes(), ledger.CodeBadSignature},
		{"unregistered sender", newTx(t, c.actors.carol).nonce(0).transfer(bob, "TALLY", 1).bytes(), ledger.CodeUnknownAccount},
		{"garbage", []byte{0xde, 0xad}, ledger.CodeMalformed},
	} {
		r := c.checkTx(tc.tx)
		if ledger.Code(r.Code) != tc.code || r.Codespace != Codespace || r.Log == "" {
			t.Errorf("%s: code %d (%s) log %q, expected code %d (%s) with a log", tc.name, r.Code, r.Codespace, r.Log, tc.code, tc.code)
		}
	}
	if pn, ok, err := c.l.PendingNonce(addrOf(alice)); err != nil || !ok || pn != 3 {
		t.Fatalf("pending nonce %d %v, expected 3", pn, ok)
	}

	// After the block with the first two, a recheck of the third still
	// passes and the pending nonce continues from the committed one.
	c.block(newTx(t, alice).nonce(0).transfer(bob, "TALLY", 1).bytes(), newTx(t, alice).nonce(1).transfer(bob, "TALLY", 1).bytes())
	r, err := c.app.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: newTx(t, alice).nonce(2).transfer(bob, "TALLY", 1).bytes(), Type: abci.CheckTxType_Recheck})
	if err != nil || r.Code != 0 {
		t.Fatalf("recheck of nonce 2 after block: %v code %d %s", err, r.Code, r.Log)
	}
}

// CometBFT runs CheckTx (and queries) between FinalizeBlock and Commit: they
// must see the committed state, never the block being executed.
func TestCheckTxAndQueryDoNotSeeUncommittedBlock(t *testing.T) {
	c := newTestChain(t, ledger.NewMemStore())
	c.block()
	bob, alice := c.actors.bob, c.actors.alice
	// bob has nothing; alice funds him in a block that is finalized only.
	c.finalize(newTx(t, alice).nonce(0).transfer(bob, "TALLY", 50).bytes())

	if r := c.checkTx(newTx(t, bob).nonce(0).transfer(alice, "TALLY", 10).bytes()); ledger.Code(r.Code) != ledger.CodeInsufficient {
		t.Fatalf("CheckTx saw the uncommitted block: code %d %s, expected insufficient funds", r.Code, r.Log)
	}
	if r := c.checkTx(newTx(t, alice).nonce(1).transfer(bob, "TALLY", 1).bytes()); ledger.Code(r.Code) != ledger.CodeBadNonce {
		t.Fatalf("CheckTx saw the uncommitted nonce: code %d %s, expected bad nonce", r.Code, r.Log)
	}
	q := c.query(wire.QueryPathAccount+addrOf(bob).String(), nil, false)
	var acct wire.AccountResult
	if err := json.Unmarshal(q.Value, &acct); err != nil {
		t.Fatal(err)
	}
	if len(acct.Balances) != 0 || q.Height != 1 {
		t.Fatalf("query saw the uncommitted block: %+v at height %d", acct, q.Height)
	}

	c.commit()
	if r := c.checkTx(newTx(t, bob).nonce(0).transfer(alice, "TALLY", 10).bytes()); r.Code != 0 {
		t.Fatalf("after Commit: code %d %s", r.Code, r.Log)
	}
}

func TestPrepareProposalDropsBadTxsAndRespectsMaxBytes(t *testing.T) {
	c := newTestChain(t, ledger.NewMemStore())
	c.block()
	alice, bob := c.actors.alice, c.actors.bob
	ok0 := newTx(t, alice).nonce(0).transfer(bob, "TALLY", 1).bytes()
	ok1 := newTx(t, alice).nonce(1).transfer(bob, "TALLY", 1).bytes()
	garbage := []byte("not a transaction")
	badSig := newTx(t, bob).nonce(0).transfer(alice, "TALLY", 1).badSig()
	tooMuch := newTx(t, bob).nonce(0).transfer(alice, "TALLY", 5).bytes() // bob gets only 1 before it
	txs := [][]byte{ok0, garbage, badSig, tooMuch, ok1}

	prepare := func(max int64) [][]byte {
		res, err := c.app.PrepareProposal(context.Background(), &abci.RequestPrepareProposal{Txs: txs, MaxTxBytes: max, Height: c.height + 1})
		if err != nil {
			t.Fatal(err)
		}
		return res.Txs
	}
	got := prepare(1 << 20)
	if len(got) != 2 || !bytes.Equal(got[0], ok0) || !bytes.Equal(got[1], ok1) {
		t.Fatalf("PrepareProposal kept %d txs, expected the 2 valid ones in order", len(got))
	}

	// Exactly the protobuf size of both: CometBFT's own check must pass.
	both := protoTxSize(ok0) + protoTxSize(ok1)
	if both <= int64(len(ok0)+len(ok1)) {
		t.Fatalf("protobuf size %d should exceed the raw size %d", both, len(ok0)+len(ok1))
	}
	got = prepare(both)
	if len(got) != 2 {
		t.Fatalf("with MaxTxBytes = %d: %d txs, expected 2", both, len(got))
	}
	if err := toCmtTxs(got).Validate(both); err != nil {
		t.Fatalf("CometBFT rejects the proposal: %v", err)
	}
	// One byte less: only the first fits (raw lengths would have fit).
	got = prepare(both - 1)
	if len(got) != 1 || !bytes.Equal(got[0], ok0) {
		t.Fatalf("with MaxTxBytes = %d: %d txs, expected only the first", both-1, len(got))
	}
	if err := toCmtTxs(got).Validate(both - 1); err != nil {
		t.Fatalf("CometBFT rejects the proposal: %v", err)
	}
}

func toCmtTxs(txs [][]byte) cmttypes.Txs {
	out := make(cmttypes.Txs, len(txs))
	for i, tx := range txs {
		out[i] = tx
	}
	return out
}

func TestProcessProposal(t *testing.T) {
	c := newTestChain(t, ledger.NewMemStore())
	c.block()
	alice, bob := c.actors.alice, c.actors.bob
	ok0 := newTx(t, alice).nonce(0).transfer(bob, "TALLY", 1).bytes()
	for _, tc := range []struct {
		name string
		txs  [][]byte
		want abci.ResponseProcessProposal_ProposalStatus
	}{
		{"empty", nil, abci.ResponseProcessProposal_ACCEPT},
		{"valid", [][]byte{ok0, newTx(t, alice).nonce(1).transfer(bob, "TALLY", 1).bytes()}, abci.ResponseProcessProposal_ACCEPT},
		{"undecodable", [][]byte{ok0, {1, 2, 3}}, abci.ResponseProcessProposal_REJECT},
		{"bad signature", [][]byte{newTx(t, alice).nonce(0).transfer(bob, "TALLY", 1).badSig()}, abci.ResponseProcessProposal_REJECT},
		{"would fail", [][]byte{newTx(t, alice).nonce(0).transfer(bob, "TALLY", 5000).bytes()}, abci.ResponseProcessProposal_REJECT},
		{"wrong nonce", [][]byte{newTx(t, alice).nonce(1).transfer(bob, "TALLY", 1).bytes()}, abci.ResponseProcessProposal_REJECT},
	} {
		res, err := c.app.ProcessProposal(context.Background(), &abci.RequestProcessProposal{Txs: tc.txs, Height: c.height + 1})
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != tc.want {
			t.Errorf("%s: %v, expected %v", tc.name, res.Status, tc.want)
		}
	}
}

func TestFinalizeBlockResultsAndEvents(t *testing.T) {
	c := newTestChain(t, ledger.NewMemStore())
	c.block()
	alice, bob := c.actors.alice, c.actors.bob
	res := c.block(
		newTx(t, alice).nonce(0).transfer(bob, "TALLY", 30).bytes(),
		newTx(t, bob).nonce(0).transfer(alice, "TALLY", 500).bytes(), // bob has only 30
		[]byte("garbage"),
	)
	if len(res.TxResults) != 3 {
		t.Fatalf("%d results for 3 txs", len(res.TxResults))
	}
	ok, failed, garbage := res.TxResults[0], res.TxResults[1], res.TxResults[2]
	if ok.Code != 0 || ok.Codespace != "" {
		t.Fatalf("transfer: code %d %s", ok.Code, ok.Log)
	}
	for _, want := range []struct{ typ, key, value string }{
		{"transfer", "sender", addrOf(alice).String()},
		{"transfer", "recipient", addrOf(bob).String()},
		{"transfer", "amount", "30"},
		{"tx_type", "type", "transfer"},
	} {
		if v, found := eventAttr(ok.Events, want.typ, want.key); !found || v != want.value {
			t.Errorf("event %s.%s = %q (indexed %v), expected %q", want.typ, want.key, v, found, want.value)
		}
	}
	accounts := 0
	for _, e := range ok.Events {
		if e.Type == "account" {
			accounts++
		}
		if e.Type == "tx" {
			t.Errorf("event type %q clashes with CometBFT's tx.hash/tx.height", e.Type)
		}
	}
	if accounts == 0 {
		t.Errorf("no account events: %+v", ok.Events)
	}
	if ledger.Code(failed.Code) != ledger.CodeInsufficient || failed.Codespace != Codespace || !strings.Contains(failed.Log, "500") {
		t.Errorf("overdraft: code %d (%s) %q", failed.Code, failed.Codespace, failed.Log)
	}
	if ledger.Code(garbage.Code) != ledger.CodeMalformed {
		t.Errorf("garbage: code %d %q", garbage.Code, garbage.Log)
	}
	if len(res.ValidatorUpdates) != 0 {
		t.Errorf("validator updates %v from transfers", res.ValidatorUpdates)
	}
	if info := c.info(); !bytes.Equal(info.LastBlockAppHash, res.AppHash) {
		t.Fatalf("Info hash %X, block hash %X", info.LastBlockAppHash, res.AppHash)
	}
	if r := c.query(wire.QueryPathAccount+addrOf(bob).String(), nil, false); !strings.Contains(string(r.Value), `"nonce":"1"`) {
		t.Fatalf("bob's failed tx must consume his nonce: %s", r.Value)
	}
}

// A validator added by governance comes out as an ed25519 update; the
// safety check needs the signers of the last commit, which FinalizeBlock
// takes from DecidedLastCommit.
func TestFinalizeBlockValidatorUpdates(t *testing.T) {
	c := newTestChain(t, ledger.NewMemStore())
	c.block()
	newVal := make([]byte, 32)
	newVal[0] = 7
	res := c.block(newTx(t, c.actors.admin).nonce(0).propose(ledger.Action{
		SetValidatorPower: &ledger.SetValidatorPower{PubKey: newVal, Power: 3},
	}, 100).bytes())
	if res.TxResults[0].Code != 0 {
		t.Fatalf("propose: code %d %s", res.TxResults[0].Code, res.TxResults[0].Log)
	}
	if len(res.ValidatorUpdates) != 1 {
		t.Fatalf("%d validator updates, expected 1", len(res.ValidatorUpdates))
	}
	u := res.ValidatorUpdates[0]
	if !bytes.Equal(u.PubKey.GetEd25519(), newVal) || u.Power != 3 {
		t.Fatalf("update %X power %d", u.PubKey.GetEd25519(), u.Power)
	}

	// Without signers the same kind of change is unsafe and fails.
	res2, err := c.app.FinalizeBlock(context.Background(), &abci.RequestFinalizeBlock{
		Height: c.height + 1,
		Txs: [][]byte{newTx(t, c.actors.admin).nonce(1).propose(ledger.Action{
			SetValidatorPower: &ledger.SetValidatorPower{PubKey: append([]byte{8}, newVal[1:]...), Power: 1000},
		}, 100).bytes()},
	})
	if err != nil {
		t.Fatal(err)
	}
	if ledger.Code(res2.TxResults[0].Code) != ledger.CodeUnsafeChange || len(res2.ValidatorUpdates) != 0 {
		t.Fatalf("unsigned big change: code %d %q, %d updates", res2.TxResults[0].Code, res2.TxResults[0].Log, len(res2.ValidatorUpdates))
	}
}

func TestInfoAfterReopenOnLevelDB(t *testing.T) {
	dir := t.TempDir()
	store, err := ledger.OpenLevelDBStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	c := newTestChain(t, store)
	c.block()
	last := c.block(newTx(t, c.actors.alice).nonce(0).transfer(c.actors.bob, "TALLY", 7).bytes())
	if err := c.l.Close(); err != nil {
		t.Fatal(err)
	}

	store, err = ledger.OpenLevelDBStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	a, l := openApp(t, store)
	defer l.Close()
	info, err := a.Info(context.Background(), &abci.RequestInfo{})
	if err != nil {
		t.Fatal(err)
	}
	if info.LastBlockHeight != 2 || !bytes.Equal(info.LastBlockAppHash, last.AppHash) {
		t.Fatalf("reopened Info: height %d hash %X, expected 2 and %X", info.LastBlockHeight, info.LastBlockAppHash, last.AppHash)
	}
}

// A crash after FinalizeBlock and before Commit leaves the old state:
// Info reports the old height, and replaying the block gives the same hash.
func TestCrashBeforeCommitReplays(t *testing.T) {
	dir := t.TempDir()
	store, err := ledger.OpenLevelDBStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	c := newTestChain(t, store)
	first := c.block()
	tx := newTx(t, c.actors.alice).nonce(0).transfer(c.actors.bob, "TALLY", 7).bytes()
	crashed := c.finalize(tx)
	if err := c.l.Close(); err != nil { // the process dies: no Commit
		t.Fatal(err)
	}

	store, err = ledger.OpenLevelDBStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	a, l := openApp(t, store)
	defer l.Close()
	c2 := &testChain{t: t, app: a, l: l, actors: c.actors}
	info := c2.info()
	if info.LastBlockHeight != 1 || !bytes.Equal(info.LastBlockAppHash, first.AppHash) {
		t.Fatalf("after crash: height %d hash %X, expected 1 and %X", info.LastBlockHeight, info.LastBlockAppHash, first.AppHash)
	}
	c2.height = info.LastBlockHeight
	replayed := c2.block(tx)
	if !bytes.Equal(replayed.AppHash, crashed.AppHash) || replayed.TxResults[0].Code != 0 {
		t.Fatalf("replay hash %X (code %d), expected %X", replayed.AppHash, replayed.TxResults[0].Code, crashed.AppHash)
	}
}

// Block events (here a proposal expiring) are returned with the block, all
// attributes indexed for block_search.
func TestFinalizeBlockEvents(t *testing.T) {
	c := newTestChainWith(t, ledger.NewMemStore(), func(act actors) *genesis.AppState {
		s := act.genesisState(t)
		must(t, s.AddAccount(addrOf(act.carol).String(), "admin"))
		s.Params.AdminThreshold = 2
		return s
	})
	c.block()
	res := c.block(newTx(t, c.actors.admin).nonce(0).propose(ledger.Action{
		Freeze: &ledger.Freeze{Address: addrOf(c.actors.bob), Reason: "audit"},
	}, 3).bytes())
	if res.TxResults[0].Code != 0 {
		t.Fatalf("propose: code %d %s", res.TxResults[0].Code, res.TxResults[0].Log)
	}
	if id, ok := eventAttr(res.TxResults[0].Events, "proposal", "id"); !ok || id != "1" {
		t.Fatalf("proposal event id %q (indexed %v)", id, ok)
	}
	if res := c.block(); len(res.Events) != 0 { // height 3: still open
		t.Fatalf("events at height 3: %+v", res.Events)
	}
	res = c.block() // height 4 > expiry 3
	if st, ok := eventAttr(res.Events, "proposal_status", "status"); !ok || st != ledger.ProposalExpired {
		t.Fatalf("block events at height 4: %+v", res.Events)
	}
}
