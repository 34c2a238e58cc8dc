package app

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/tallyledger/tally/ledger"
	"github.com/tallyledger/tally/wire"
	"github.com/tallyledger/tally/wire/proofop"
)

var (
	nodeA = strings.Repeat("a1", 20)
	nodeB = strings.Repeat("b2", 20)
)

func TestPeerFilterQueries(t *testing.T) {
	c := newTestChain(t, ledger.NewMemStore(), nodeA, nodeB)
	check := func(stage string, id string, want uint32) {
		t.Helper()
		r := c.query(wire.QueryPathFilterID+id, nil, false)
		if r.Code != want || (want != 0 && (r.Log == "" || r.Codespace != Codespace)) {
			t.Errorf("%s: filter %s = code %d %q, expected %d", stage, id, r.Code, r.Log, want)
		}
	}
	stranger := strings.Repeat("c3", 20)

	// Before the first block only the genesis list exists: the nodes of a
	// new network must be able to connect to make that block.
	check("genesis", nodeA, 0)
	check("genesis", nodeB, 0)
	check("genesis", stranger, QueryCodeNodeNotAllowed)
	check("genesis", "not-a-node-id", QueryCodeBadRequest)
	check("genesis", strings.ToUpper(nodeA), QueryCodeBadRequest)

	c.block()
	check("committed", nodeA, 0)
	check("committed", stranger, QueryCodeNodeNotAllowed)

	// Governance denies node B: from the next commit on it is refused.
	res := c.block(newTx(t, c.actors.admin).nonce(0).propose(ledger.Action{DenyNode: &ledger.NodeRef{NodeID: nodeB}}, 100).bytes())
	if res.TxResults[0].Code != 0 {
		t.Fatalf("deny-node: code %d %s", res.TxResults[0].Code, res.TxResults[0].Log)
	}
	check("after deny", nodeB, QueryCodeNodeNotAllowed)
	check("after deny", nodeA, 0)

	// Addresses are not filtered: IDs are.
	if r := c.query(wire.QueryPathFilterAddr+"10.0.0.1:26656", nil, false); r.Code != 0 {
		t.Errorf("addr filter: code %d %q", r.Code, r.Log)
	}
}

func TestAfterCommitHook(t *testing.T) {
	var heights []int64
	c := newTestChain(t, ledger.NewMemStore())
	c.app.afterCommit = func(h int64) { heights = append(heights, h) }
	c.block()
	c.block()
	if len(heights) != 2 || heights[0] != 1 || heights[1] != 2 {
		t.Fatalf("hook saw heights %v, expected [1 2]", heights)
	}
}

func TestQueryPaths(t *testing.T) {
	c := newTestChain(t, ledger.NewMemStore())
	c.block(newTx(t, c.actors.alice).nonce(0).transfer(c.actors.bob, "TALLY", 10).bytes())
	alice := addrOf(c.actors.alice)

	r := c.query(wire.QueryPathAccount+alice.String(), nil, false)
	var acct wire.AccountResult
	if r.Code != 0 || json.Unmarshal(r.Value, &acct) != nil {
		t.Fatalf("/account: code %d %q %s", r.Code, r.Log, r.Value)
	}
	if acct.Address != alice.String() || acct.Nonce != 1 || acct.Balances[0].Amount != 990 || r.Height != 1 {
		t.Fatalf("/account: %+v at height %d", acct, r.Height)
	}

	// The ledger's own transaction index: by hash and by account.
	sent := newTx(t, c.actors.alice).nonce(0).transfer(c.actors.bob, "TALLY", 10).bytes()
	r = c.query(wire.QueryPathTx+ledger.TxHashString(sent), nil, false)
	var txr wire.TxResult
	if r.Code != 0 || json.Unmarshal(r.Value, &txr) != nil || txr.Height != 1 || txr.Hash != ledger.TxHashString(sent) || txr.Raw != hex.EncodeToString(sent) {
		t.Fatalf("/tx: code %d %q %s", r.Code, r.Log, r.Value)
	}
	r = c.query(wire.HistoryPath(addrOf(c.actors.bob), 1, 10), nil, false)
	var hist wire.HistoryResult
	if r.Code != 0 || json.Unmarshal(r.Value, &hist) != nil || hist.TotalCount != 1 || len(hist.Txs) != 1 || hist.Txs[0].Hash != txr.Hash {
		t.Fatalf("/history: code %d %q %s", r.Code, r.Log, r.Value)
	}

	r = c.query(wire.QueryPathStore, ledger.AccountKey(alice), false)
	if r.Code != 0 || r.Height != 1 || string(r.Key) != string(ledger.AccountKey(alice)) {
		t.Fatalf("/store: code %d %q key %q", r.Code, r.Log, r.Key)
	}
	rec, err := ledger.DecodeAccount(r.Value)
	if err != nil || rec.Address != alice || rec.Nonce != 1 {
		t.Fatalf("/store value: %v %+v", err, rec)
	}
	r = c.query(wire.QueryPathStore, ledger.AccountKey(addrOf(c.actors.carol)), false)
	if r.Code != 0 || r.Value != nil {
		t.Fatalf("/store of an absent key: code %d value %x", r.Code, r.Value)
	}

	for _, tc := range []struct {
		name string
		req  abci.RequestQuery
		code uint32
		log  string
	}{
		{"unknown path", abci.RequestQuery{Path: "/nope"}, QueryCodeUnknownPath, "unknown query path"},
		{"empty path", abci.RequestQuery{}, QueryCodeUnknownPath, "unknown query path"},
		{"unknown account", abci.RequestQuery{Path: wire.QueryPathAccount + addrOf(c.actors.carol).String()}, QueryCodeNotFound, "not registered"},
		{"bad address", abci.RequestQuery{Path: wire.QueryPathAccount + "tally1xyz"}, QueryCodeBadRequest, "invalid address"},
		{"unknown tx", abci.RequestQuery{Path: wire.QueryPathTx + strings.Repeat("ab", 32)}, QueryCodeNotFound, "not committed yet"},
		{"bad tx hash", abci.RequestQuery{Path: wire.QueryPathTx + "xyz"}, QueryCodeBadRequest, "64 hex digits"},
		{"history per page", abci.RequestQuery{Path: wire.HistoryPath(alice, 1, 1<<63)}, QueryCodeBadRequest, "above the maximum 100"},
		{"history path", abci.RequestQuery{Path: wire.QueryPathHistory + alice.String()}, QueryCodeBadRequest, "expected <address>/<page>/<per page>"},
		{"metadata key", abci.RequestQuery{Path: wire.QueryPathStore, Data: []byte("!height")}, QueryCodeBadRequest, "not a state key"},
		{"old height", abci.RequestQuery{Path: wire.QueryPathStore, Data: ledger.ParamsKey(), Height: 5}, QueryCodeHeightNotServed, "latest committed height 1"},
	} {
		res, err := c.app.Query(context.Background(), &tc.req)
		if err != nil {
			t.Fatal(err)
		}
		if res.Code != tc.code || !strings.Contains(res.Log, tc.log) || res.Codespace != Codespace {
			t.Errorf("%s: code %d %q, expected %d mentioning %q", tc.name, res.Code, res.Log, tc.code, tc.log)
		}
	}
}

func TestStoreQueryProofs(t *testing.T) {
	c := newTestChain(t, ledger.NewMemStore())
	res := c.block(newTx(t, c.actors.alice).nonce(0).transfer(c.actors.bob, "TALLY", 10).bytes())
	bob := addrOf(c.actors.bob)
	held, missing := ledger.BalanceKey(bob, "TALLY"), ledger.BalanceKey(addrOf(c.actors.carol), "TALLY")

	// Raw keys: the answer echoes the key and proofop.Verify checks it.
	present := c.query(wire.QueryPathStore, held, true)
	if present.Code != 0 || present.Height != 1 || !bytes.Equal(present.Key, held) {
		t.Fatalf("proved query: code %d %q height %d key %q", present.Code, present.Log, present.Height, present.Key)
	}
	if n, err := ledger.DecodeBalance(present.Value); err != nil || n != 10 {
		t.Fatalf("proved value: %d %v", n, err)
	}
	if err := proofop.Verify(res.AppHash, present.ProofOps, held, present.Value); err != nil {
		t.Fatalf("existence proof: %v", err)
	}
	absent := c.query(wire.QueryPathStore, missing, true)
	if absent.Code != 0 || absent.Value != nil {
		t.Fatalf("absence: code %d %q value %x", absent.Code, absent.Log, absent.Value)
	}
	if err := proofop.Verify(res.AppHash, absent.ProofOps, missing, nil); err != nil {
		t.Fatalf("absence proof: %v", err)
	}

	// A proof vouches for nothing else: another value, another key, another
	// app hash.
	for name, err := range map[string]error{
		"other value":    proofop.Verify(res.AppHash, present.ProofOps, held, []byte{0x0b}),
		"other key":      proofop.Verify(res.AppHash, present.ProofOps, missing, present.Value),
		"absence as 0":   proofop.Verify(res.AppHash, absent.ProofOps, missing, []byte{0x00}),
		"other app hash": proofop.Verify(bytes.Repeat([]byte{1}, 32), present.ProofOps, held, present.Value),
	} {
		if err == nil {
			t.Errorf("%s: proof accepted", name)
		}
	}

	// Key-path form, as CometBFT's light client checks it: absence against
	// the response's Key itself, values through LightClientKeyPath.
	prt := proofop.NewProofRuntime()
	lcAbsent := c.query(wire.QueryPathStore, []byte(proofop.KeyPath(missing)), true)
	if lcAbsent.Code != 0 || string(lcAbsent.Key) != proofop.KeyPath(missing) {
		t.Fatalf("key-path query: code %d %q key %q", lcAbsent.Code, lcAbsent.Log, lcAbsent.Key)
	}
	if err := prt.VerifyAbsence(lcAbsent.ProofOps, res.AppHash, string(lcAbsent.Key)); err != nil {
		t.Fatalf("light-client absence check: %v", err)
	}
	lcPresent := c.query(wire.QueryPathStore, []byte(proofop.KeyPath(held)), true)
	kp, err := proofop.LightClientKeyPath(wire.QueryPathStore, lcPresent.Key)
	if err != nil {
		t.Fatal(err)
	}
	if err := prt.VerifyValue(lcPresent.ProofOps, res.AppHash, kp.String(), lcPresent.Value); err != nil {
		t.Fatalf("light-client value check: %v", err)
	}
	if r := c.query(wire.QueryPathStore, []byte("/x:zz"), false); r.Code != QueryCodeBadRequest {
		t.Fatalf("bad key path: code %d %q", r.Code, r.Log)
	}
}
