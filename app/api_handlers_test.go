package app

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	cmtbytes "github.com/cometbft/cometbft/libs/bytes"
	"github.com/cometbft/cometbft/libs/log"
	"github.com/cometbft/cometbft/p2p"
	ctypes "github.com/cometbft/cometbft/rpc/core/types"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/tallyledger/tally/client"
	"github.com/tallyledger/tally/ledger"
	"github.com/tallyledger/tally/version"
	"github.com/tallyledger/tally/wire"
)

// fakeConsensus answers the consensus RPC calls of the ledger API from a
// testChain: no CometBFT.
type fakeConsensus struct {
	c      *testChain
	hashes [][]byte // of the committed transactions, oldest first
}

func (f *fakeConsensus) Status(context.Context) (*ctypes.ResultStatus, error) {
	return &ctypes.ResultStatus{
		NodeInfo: p2p.DefaultNodeInfo{Network: testChainID, DefaultNodeID: "aa00000000000000000000000000000000000000", Moniker: "fake"},
		SyncInfo: ctypes.SyncInfo{LatestBlockHeight: f.c.height, LatestAppHash: cmtbytes.HexBytes(f.c.info().LastBlockAppHash),
			LatestBlockHash: cmtbytes.HexBytes(make([]byte, 32)), LatestBlockTime: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
	}, nil
}

func (f *fakeConsensus) BroadcastTxSync(_ context.Context, tx cmttypes.Tx) (*ctypes.ResultBroadcastTx, error) {
	r := f.c.checkTx(tx)
	return &ctypes.ResultBroadcastTx{Code: r.Code, Log: r.Log, Codespace: r.Codespace, Hash: tx.Hash()}, nil
}

// block runs a block on the chain and records its transactions' hashes.
func (f *fakeConsensus) block(txs ...[]byte) {
	f.c.block(txs...)
	for _, tx := range txs {
		f.hashes = append(f.hashes, cmttypes.Tx(tx).Hash())
	}
}

// apiPeers is one connected peer beside the ledger's allowed nodes.
type apiPeers struct{ app *App }

func (apiPeers) NodeID() string                                  { return "aa00000000000000000000000000000000000000" }
func (apiPeers) peerIDs() []string                               { return []string{"bb00000000000000000000000000000000000000"} }
func (p apiPeers) allowedNodes(v *ledger.View) ([]string, error) { return p.app.allowedNodes(v) }

// newTestAPI serves the ledger API's handlers over an in-memory ledger
// with two committed blocks: alice sent bob 25 and then 5 TALLY.
func newTestAPI(t *testing.T) (*apiClient, *fakeConsensus, *client.Client) {
	t.Helper()
	c := newTestChain(t, ledger.NewMemStore(), "aa00000000000000000000000000000000000000")
	f := &fakeConsensus{c: c}
	f.block(newTx(t, c.actors.alice).nonce(0).memo("rent").transfer(c.actors.bob, "TALLY", 25).bytes())
	f.block(newTx(t, c.actors.alice).nonce(1).transfer(c.actors.bob, "TALLY", 5).bytes())
	s := newAPIServer(apiBackend{ledger: c.l, rpc: f, peers: apiPeers{c.app}}, "", cmtcfg.DefaultRPCConfig(), log.NewNopLogger())
	srv := httptest.NewServer(s.handler())
	t.Cleanup(srv.Close)
	cl, err := client.New("http://127.0.0.1:1", client.WithAPIURL(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	return &apiClient{t: t, url: srv.URL}, f, cl
}

func TestAPIHandlers(t *testing.T) {
	api, f, _ := newTestAPI(t)
	act := f.c.actors
	alice, bob := addrOf(act.alice).String(), addrOf(act.bob).String()

	tests := []struct {
		method string
		params map[string]any
		out    any
		check  func(out any) bool
	}{
		{wire.MethodStatus, nil, &wire.StatusResult{}, func(o any) bool {
			r := o.(*wire.StatusResult)
			return r.ChainID == testChainID && r.Height == 2 && r.LedgerHeight == 2 && r.Version == version.String() && r.LatestBlockTime == "2026-01-02T03:04:05Z"
		}},
		{wire.MethodAccount, map[string]any{wire.ParamAddress: alice}, &wire.AccountResult{}, func(o any) bool {
			r := o.(*wire.AccountResult)
			return r.Address == alice && r.Nonce == 2 && r.PendingNonce == 2 && len(r.Balances) == 1 && r.Balances[0] == wire.BalanceResult{Asset: "TALLY", Amount: 970}
		}},
		{wire.MethodBalances, map[string]any{wire.ParamAddress: bob}, &wire.BalancesResult{}, func(o any) bool {
			r := o.(*wire.BalancesResult)
			return r.Address == bob && len(r.Balances) == 1 && r.Balances[0].Amount == 30
		}},
		{wire.MethodAssets, nil, &wire.AssetsResult{}, func(o any) bool {
			r := o.(*wire.AssetsResult)
			return len(r.Assets) == 1 && r.Assets[0] == wire.AssetResult{Symbol: "TALLY", Issuer: addrOf(act.admin).String(), Supply: 1000}
		}},
		{wire.MethodAsset, map[string]any{wire.ParamSymbol: "TALLY"}, &wire.AssetResult{}, func(o any) bool {
			return o.(*wire.AssetResult).Supply == 1000
		}},
		{wire.MethodTx, map[string]any{wire.ParamHash: strings.ToLower(wire.UpperHex(f.hashes[0]))}, &wire.TxResult{}, func(o any) bool {
			r := o.(*wire.TxResult)
			return r.Height == 1 && r.Code == 0 && r.Tx != nil && r.Tx.Sender == alice && r.Tx.Memo == "rent" && r.Tx.Msg.Amount == "25" && r.Tx.Msg.To == bob
		}},
		{wire.MethodHistory, map[string]any{wire.ParamAddress: bob, wire.ParamPerPage: "1", wire.ParamPage: "2"}, &wire.HistoryResult{}, func(o any) bool {
			r := o.(*wire.HistoryResult)
			return r.TotalCount == 2 && r.Page == 2 && r.PerPage == 1 && len(r.Txs) == 1 && r.Txs[0].Height == 1
		}},
		{wire.MethodValidators, nil, &wire.ValidatorsResult{}, func(o any) bool {
			r := o.(*wire.ValidatorsResult)
			return r.Height == 2 && r.TotalPower == 10 && len(r.Validators) == 1 && r.Validators[0].Address == wire.UpperHex(act.val.PubKey().Address())
		}},
		{wire.MethodNodes, nil, &wire.NodesResult{}, func(o any) bool {
			r := o.(*wire.NodesResult)
			return len(r.Nodes) == 2 && r.Nodes[0] == wire.NodeResult{ID: "aa00000000000000000000000000000000000000", Allowed: true, Self: true} &&
				r.Nodes[1] == wire.NodeResult{ID: "bb00000000000000000000000000000000000000", Connected: true}
		}},
		{wire.MethodProposals, nil, &wire.ProposalsResult{}, func(o any) bool { return len(o.(*wire.ProposalsResult).Proposals) == 0 }},
		{wire.MethodParams, nil, &wire.ParamsResult{}, func(o any) bool {
			r := o.(*wire.ParamsResult)
			return r.AdminThreshold == 1 && r.Admins == 1
		}},
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			api.t = t
			api.result(tt.method, tt.params, tt.out)
			if !tt.check(tt.out) {
				t.Fatalf("%s: unexpected result %+v", tt.method, tt.out)
			}
		})
	}
}

func TestAPIHandlerErrors(t *testing.T) {
	api, f, _ := newTestAPI(t)
	carol := addrOf(f.c.actors.carol).String()
	tests := []struct {
		method string
		params map[string]any
		code   int
		want   string
	}{
		{wire.MethodAccount, map[string]any{wire.ParamAddress: carol}, -32603, "account " + carol + " is not registered"},
		{wire.MethodAccount, map[string]any{}, -32603, "address is required"},
		{wire.MethodAccount, map[string]any{wire.ParamAddress: "tally1nope"}, -32602, "address"},
		{wire.MethodBalances, map[string]any{wire.ParamAddress: carol}, -32603, "not registered"},
		{wire.MethodAsset, map[string]any{wire.ParamSymbol: "NOPE"}, -32603, "asset NOPE does not exist"},
		{wire.MethodAsset, map[string]any{wire.ParamSymbol: "no pe"}, -32602, "symbol"},
		{wire.MethodTx, map[string]any{wire.ParamHash: strings.Repeat("AB", 32)}, -32603, "not found"},
		{wire.MethodTx, map[string]any{wire.ParamHash: "abc"}, -32602, "expected 64 hex digits"},
		{wire.MethodHistory, map[string]any{wire.ParamAddress: carol, wire.ParamPerPage: "101"}, -32603, "above the maximum 100"},
		{wire.MethodProposal, map[string]any{wire.ParamID: "0"}, -32603, "id is required"},
		{wire.MethodProposal, map[string]any{wire.ParamID: "4"}, -32603, "proposal 4 does not exist"},
		{wire.MethodBroadcastTx, map[string]any{}, -32603, "tx is required"},
	}
	for _, tt := range tests {
		api.wantError(tt.method, tt.params, tt.code, tt.want)
	}
}

// TestAPIBroadcastAndPendingNonce: a transaction admitted to the mempool
// shows in the account's pending nonce, through the wallet's client.
func TestAPIBroadcastAndPendingNonce(t *testing.T) {
	api, f, cl := newTestAPI(t)
	act := f.c.actors
	var res wire.BroadcastResult
	tx := newTx(t, act.alice).nonce(2).transfer(act.bob, "TALLY", 1).bytes()
	api.result(wire.MethodBroadcastTx, map[string]any{wire.ParamTx: wire.UpperHex(tx)}, &res)
	if res.Code != 0 || res.Hash != ledger.TxHashString(tx) {
		t.Fatalf("broadcast: %+v", res)
	}
	api.result(wire.MethodBroadcastTx, map[string]any{wire.ParamTx: wire.UpperHex(newTx(t, act.alice).nonce(7).transfer(act.bob, "TALLY", 1).bytes())}, &res)
	if ledger.Code(res.Code) != ledger.CodeBadNonce {
		t.Fatalf("broadcast with a gap in the nonces: %+v", res)
	}
	a, err := cl.Account(context.Background(), addrOf(act.alice))
	if err != nil {
		t.Fatal(err)
	}
	if a.Nonce != 2 || a.PendingNonce != 3 || a.Balance("TALLY") != 970 {
		t.Fatalf("alice through the client: %+v", a)
	}
	if _, err := cl.Account(context.Background(), addrOf(act.carol)); !errors.Is(err, client.ErrNotFound) {
		t.Fatalf("unregistered account through the client: %v", err)
	}
	nodes, err := cl.Nodes(context.Background())
	if err != nil || len(nodes) != 2 {
		t.Fatalf("nodes through the client: %v %v", nodes, err)
	}
}
