package app

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	rpcserver "github.com/cometbft/cometbft/rpc/jsonrpc/server"
	rpctypes "github.com/cometbft/cometbft/rpc/jsonrpc/types"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/tallyledger/tally/crypto"
	"github.com/tallyledger/tally/ledger"
	"github.com/tallyledger/tally/version"
	"github.com/tallyledger/tally/wire"
)

// apiRoutes are the ledger API's methods. A method's error becomes a
// JSON-RPC error -32603 with the message in "data"; a parameter that does
// not parse is -32602 with the reason.
func (s *apiServer) routes() map[string]*rpcserver.RPCFunc {
	return map[string]*rpcserver.RPCFunc{
		wire.MethodStatus:      rpcserver.NewRPCFunc(s.status, ""),
		wire.MethodAccount:     rpcserver.NewRPCFunc(s.account, wire.ParamAddress),
		wire.MethodBalances:    rpcserver.NewRPCFunc(s.balances, wire.ParamAddress),
		wire.MethodAssets:      rpcserver.NewRPCFunc(s.assets, ""),
		wire.MethodAsset:       rpcserver.NewRPCFunc(s.asset, wire.ParamSymbol),
		wire.MethodTx:          rpcserver.NewRPCFunc(s.tx, wire.ParamHash),
		wire.MethodHistory:     rpcserver.NewRPCFunc(s.history, wire.ParamAddress+","+wire.ParamPage+","+wire.ParamPerPage),
		wire.MethodValidators:  rpcserver.NewRPCFunc(s.validators, ""),
		wire.MethodNodes:       rpcserver.NewRPCFunc(s.nodes, ""),
		wire.MethodProposals:   rpcserver.NewRPCFunc(s.proposals, ""),
		wire.MethodProposal:    rpcserver.NewRPCFunc(s.proposal, wire.ParamID),
		wire.MethodParams:      rpcserver.NewRPCFunc(s.params, ""),
		wire.MethodBroadcastTx: rpcserver.NewRPCFunc(s.broadcastTx, wire.ParamTx),
	}
}

func (s *apiServer) status(ctx *rpctypes.Context) (*wire.StatusResult, error) {
	if err := clientGone(ctx); err != nil {
		return nil, err
	}
	st, err := s.b.rpc.Status(ctx.Context())
	if err != nil {
		return nil, fmt.Errorf("node status: %w", err)
	}
	return &wire.StatusResult{
		ChainID:         st.NodeInfo.Network,
		NodeID:          string(st.NodeInfo.DefaultNodeID),
		Moniker:         st.NodeInfo.Moniker,
		Version:         version.String(),
		Height:          wire.Int64(st.SyncInfo.LatestBlockHeight),
		AppHash:         wire.UpperHex(st.SyncInfo.LatestAppHash),
		LedgerHeight:    wire.Int64(s.b.ledger.LastHeight()),
		LatestBlockHash: wire.UpperHex(st.SyncInfo.LatestBlockHash),
		LatestBlockTime: st.SyncInfo.LatestBlockTime.UTC().Format(time.RFC3339Nano),
		CatchingUp:      st.SyncInfo.CatchingUp,
	}, nil
}

func (s *apiServer) account(ctx *rpctypes.Context, address addressParam) (*wire.AccountResult, error) {
	if err := clientGone(ctx); err != nil {
		return nil, err
	}
	if err := address.required(); err != nil {
		return nil, err
	}
	info, err := accountInfo(s.b.ledger.View(), s.b.ledger, address.Address)
	if err != nil {
		return nil, fmt.Errorf("read account %s: %w", address.Address, err)
	}
	if info == nil {
		return nil, fmt.Errorf("account %s is not registered", address.Address)
	}
	return info, nil
}

func (s *apiServer) balances(ctx *rpctypes.Context, address addressParam) (*wire.BalancesResult, error) {
	if err := clientGone(ctx); err != nil {
		return nil, err
	}
	if err := address.required(); err != nil {
		return nil, err
	}
	v := s.b.ledger.View()
	acct, err := v.Account(address.Address)
	if err != nil {
		return nil, fmt.Errorf("read account %s: %w", address.Address, err)
	}
	if acct == nil {
		return nil, fmt.Errorf("account %s is not registered", address.Address)
	}
	bals, err := v.Balances(address.Address)
	if err != nil {
		return nil, fmt.Errorf("read balances of %s: %w", address.Address, err)
	}
	return &wire.BalancesResult{Address: address.Address.String(), Balances: wire.DescribeBalances(bals)}, nil
}

func (s *apiServer) assets(ctx *rpctypes.Context) (*wire.AssetsResult, error) {
	if err := clientGone(ctx); err != nil {
		return nil, err
	}
	as, err := s.b.ledger.View().Assets()
	if err != nil {
		return nil, fmt.Errorf("read assets: %w", err)
	}
	out := &wire.AssetsResult{Assets: make([]wire.AssetResult, len(as))}
	for i := range as {
		out.Assets[i] = wire.DescribeAsset(&as[i])
	}
	return out, nil
}

func (s *apiServer) asset(ctx *rpctypes.Context, symbol symbolParam) (*wire.AssetResult, error) {
	if err := clientGone(ctx); err != nil {
		return nil, err
	}
	if symbol.s == "" {
		return nil, errors.New("symbol is required")
	}
	a, err := s.b.ledger.View().Asset(symbol.s)
	if err != nil {
		return nil, fmt.Errorf("read asset %s: %w", symbol.s, err)
	}
	if a == nil {
		return nil, fmt.Errorf("asset %s does not exist", symbol.s)
	}
	r := wire.DescribeAsset(a)
	return &r, nil
}

// tx and history answer from the ledger's own index (written with each
// block's state), never from CometBFT's optional tx indexer.
func (s *apiServer) tx(ctx *rpctypes.Context, hash hashParam) (*wire.TxResult, error) {
	if err := clientGone(ctx); err != nil {
		return nil, err
	}
	if hash.b == nil {
		return nil, errors.New("hash is required")
	}
	return lookupTx(s.b.ledger.View(), hash.b)
}

func (s *apiServer) history(ctx *rpctypes.Context, address addressParam, page, perPage uintParam) (*wire.HistoryResult, error) {
	if err := clientGone(ctx); err != nil {
		return nil, err
	}
	if err := address.required(); err != nil {
		return nil, err
	}
	return historyPage(s.b.ledger.View(), address.Address, uint64(page), uint64(perPage))
}

func (s *apiServer) validators(ctx *rpctypes.Context) (*wire.ValidatorsResult, error) {
	if err := clientGone(ctx); err != nil {
		return nil, err
	}
	v := s.b.ledger.View()
	vals, err := v.Validators()
	if err != nil {
		return nil, fmt.Errorf("read validators: %w", err)
	}
	out := &wire.ValidatorsResult{Height: wire.Int64(v.Height()), Validators: make([]wire.ValidatorResult, len(vals))}
	var total uint64
	for i := range vals {
		out.Validators[i] = wire.DescribeValidator(&vals[i])
		total += vals[i].Power
	}
	out.TotalPower = wire.Uint64(total)
	return out, nil
}

func (s *apiServer) nodes(ctx *rpctypes.Context) (*wire.NodesResult, error) {
	if err := clientGone(ctx); err != nil {
		return nil, err
	}
	v := s.b.ledger.View()
	allowed, err := s.b.peers.allowedNodes(v)
	if err != nil {
		return nil, fmt.Errorf("read allowed nodes: %w", err)
	}
	byID := map[string]*wire.NodeResult{}
	for _, id := range allowed {
		byID[id] = &wire.NodeResult{ID: id, Allowed: true}
	}
	for _, id := range s.b.peers.peerIDs() {
		if byID[id] == nil {
			byID[id] = &wire.NodeResult{ID: id}
		}
		byID[id].Connected = true
	}
	self := s.b.peers.NodeID()
	if byID[self] != nil {
		byID[self].Self = true
	}
	out := &wire.NodesResult{Height: wire.Int64(v.Height()), Nodes: make([]wire.NodeResult, 0, len(byID))}
	for _, r := range byID {
		out.Nodes = append(out.Nodes, *r)
	}
	sort.Slice(out.Nodes, func(i, j int) bool { return out.Nodes[i].ID < out.Nodes[j].ID })
	return out, nil
}

func (s *apiServer) proposals(ctx *rpctypes.Context) (*wire.ProposalsResult, error) {
	if err := clientGone(ctx); err != nil {
		return nil, err
	}
	ps, err := s.b.ledger.View().Proposals()
	if err != nil {
		return nil, fmt.Errorf("read proposals: %w", err)
	}
	out := &wire.ProposalsResult{Proposals: make([]wire.ProposalResult, len(ps))}
	for i := range ps {
		out.Proposals[i] = wire.DescribeProposal(&ps[i])
	}
	return out, nil
}

func (s *apiServer) proposal(ctx *rpctypes.Context, id uintParam) (*wire.ProposalResult, error) {
	if err := clientGone(ctx); err != nil {
		return nil, err
	}
	if id == 0 {
		return nil, errors.New("id is required (proposal IDs start at 1)")
	}
	p, err := s.b.ledger.View().Proposal(uint64(id))
	if err != nil {
		return nil, fmt.Errorf("read proposal %d: %w", id, err)
	}
	if p == nil {
		return nil, fmt.Errorf("proposal %d does not exist", id)
	}
	r := wire.DescribeProposal(p)
	return &r, nil
}

func (s *apiServer) params(ctx *rpctypes.Context) (*wire.ParamsResult, error) {
	if err := clientGone(ctx); err != nil {
		return nil, err
	}
	v := s.b.ledger.View()
	p, err := v.Params()
	if err != nil {
		return nil, fmt.Errorf("read params: %w", err)
	}
	admins, err := v.AdminCount() // the admin index: never a scan of every account
	if err != nil {
		return nil, fmt.Errorf("read admins: %w", err)
	}
	return &wire.ParamsResult{AdminThreshold: p.AdminThreshold, FreezeBlocksReceive: p.FreezeBlocksReceive, Admins: wire.Int64(admins)}, nil
}

func (s *apiServer) broadcastTx(ctx *rpctypes.Context, tx txParam) (*wire.BroadcastResult, error) {
	if err := clientGone(ctx); err != nil {
		return nil, err
	}
	if len(tx.b) == 0 {
		return nil, errors.New("tx is required (hex of the signed transaction)")
	}
	res, err := s.b.rpc.BroadcastTxSync(ctx.Context(), cmttypes.Tx(tx.b))
	if err != nil {
		return nil, fmt.Errorf("broadcast %s: %w", ledger.TxHashString(tx.b), err)
	}
	return &wire.BroadcastResult{Hash: wire.UpperHex(res.Hash), Code: res.Code, Codespace: res.Codespace, Log: res.Log}, nil
}

// Parameter types. Each parses itself, so that a malformed value is a
// JSON-RPC "invalid params" error naming the problem. They accept a JSON
// string, and also a bare value in URI requests (/account?address=tally1...).

// paramString returns the string in b: a JSON string, or the raw text of a
// URI argument.
func paramString(b []byte) (string, error) {
	t := strings.TrimSpace(string(b))
	if strings.HasPrefix(t, `"`) {
		var s string
		if err := json.Unmarshal([]byte(t), &s); err != nil {
			return "", fmt.Errorf("bad JSON string %s: %v", t, err)
		}
		return s, nil
	}
	if strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
		return "", fmt.Errorf("got %s, expected a string", t)
	}
	return t, nil
}

// addressParam is a tally1... address.
type addressParam struct {
	crypto.Address
	set bool
}

func (p *addressParam) UnmarshalJSON(b []byte) error {
	s, err := paramString(b)
	if err != nil {
		return fmt.Errorf("address: %w", err)
	}
	a, err := crypto.ParseAddress(s)
	if err != nil {
		return fmt.Errorf("address: %w (expected tally1...)", err)
	}
	p.Address, p.set = a, true
	return nil
}

func (p addressParam) required() error {
	if !p.set {
		return errors.New("address is required (tally1...)")
	}
	return nil
}

// uintParam is a non-negative integer, as a JSON number or a decimal string.
type uintParam uint64

func (p *uintParam) UnmarshalJSON(b []byte) error {
	s, err := paramString(b)
	if err != nil {
		return err
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return fmt.Errorf("got %q, expected a non-negative integer", s)
	}
	*p = uintParam(n)
	return nil
}

// symbolParam is an asset symbol. (Struct-typed parameters are parsed by
// UnmarshalJSON in URI requests too, so that "0x..." or quoted forms never
// bypass the checks.)
type symbolParam struct{ s string }

func (p *symbolParam) UnmarshalJSON(b []byte) error {
	s, err := paramString(b)
	if err != nil {
		return fmt.Errorf("symbol: %w", err)
	}
	if err := ledger.ValidateSymbol(s); err != nil {
		return fmt.Errorf("symbol: %s", err.(*ledger.Error).Msg)
	}
	p.s = s
	return nil
}

// hashParam is a transaction hash: 64 hex digits, either case.
type hashParam struct{ b []byte }

func (p *hashParam) UnmarshalJSON(b []byte) error {
	s, err := paramString(b)
	if err != nil {
		return fmt.Errorf("hash: %w", err)
	}
	s = strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	h, err := hex.DecodeString(s)
	if err != nil || len(h) != 32 {
		return fmt.Errorf("hash %q: expected 64 hex digits (SHA-256 of the transaction)", s)
	}
	p.b = h
	return nil
}

// txParam is a signed transaction in hex (preferred) or base64.
type txParam struct{ b []byte }

func (p *txParam) UnmarshalJSON(b []byte) error {
	s, err := paramString(b)
	if err != nil {
		return fmt.Errorf("tx: %w", err)
	}
	s = strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	if raw, err := hex.DecodeString(s); err == nil {
		p.b = raw
		return nil
	}
	if raw, err := base64.StdEncoding.DecodeString(s); err == nil {
		p.b = raw
		return nil
	}
	return errors.New("tx: expected the transaction bytes in hex (or base64)")
}

// accountInfo reads an account with its balances from v and its pending
// nonce from the ledger's check state; nil when the account is not
// registered.
func accountInfo(v *ledger.View, l apiLedger, addr crypto.Address) (*wire.AccountResult, error) {
	acct, err := v.Account(addr)
	if err != nil || acct == nil {
		return nil, err
	}
	bals, err := v.Balances(addr)
	if err != nil {
		return nil, err
	}
	pending, _, err := l.PendingNonce(addr)
	if err != nil {
		return nil, err
	}
	return wire.DescribeAccount(acct, bals, pending), nil
}
