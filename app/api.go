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

	abci "github.com/cometbft/cometbft/abci/types"
	ctypes "github.com/cometbft/cometbft/rpc/core/types"
	rpcserver "github.com/cometbft/cometbft/rpc/jsonrpc/server"
	rpctypes "github.com/cometbft/cometbft/rpc/jsonrpc/types"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/tallyledger/tally/crypto"
	"github.com/tallyledger/tally/ledger"
)

// History paging limits (CometBFT's tx_search caps per_page at 100).
const (
	DefaultHistoryPerPage = 30
	MaxHistoryPerPage     = 100
)

// apiRoutes are the ledger API's methods. A method's error becomes a
// JSON-RPC error -32603 with the message in "data"; a parameter that does
// not parse is -32602 with the reason.
func (s *apiServer) routes() map[string]*rpcserver.RPCFunc {
	return map[string]*rpcserver.RPCFunc{
		"status":       rpcserver.NewRPCFunc(s.status, ""),
		"account":      rpcserver.NewRPCFunc(s.account, "address"),
		"balances":     rpcserver.NewRPCFunc(s.balances, "address"),
		"assets":       rpcserver.NewRPCFunc(s.assets, ""),
		"asset":        rpcserver.NewRPCFunc(s.asset, "symbol"),
		"tx":           rpcserver.NewRPCFunc(s.tx, "hash"),
		"history":      rpcserver.NewRPCFunc(s.history, "address,page,per_page"),
		"validators":   rpcserver.NewRPCFunc(s.validators, ""),
		"nodes":        rpcserver.NewRPCFunc(s.nodes, ""),
		"proposals":    rpcserver.NewRPCFunc(s.proposals, ""),
		"proposal":     rpcserver.NewRPCFunc(s.proposal, "id"),
		"params":       rpcserver.NewRPCFunc(s.params, ""),
		"broadcast_tx": rpcserver.NewRPCFunc(s.broadcastTx, "tx"),
	}
}

func (s *apiServer) status(ctx *rpctypes.Context) (*StatusResult, error) {
	st, err := s.n.rpc.Status(ctx.Context())
	if err != nil {
		return nil, fmt.Errorf("node status: %w", err)
	}
	return &StatusResult{
		ChainID:         st.NodeInfo.Network,
		NodeID:          string(st.NodeInfo.DefaultNodeID),
		Moniker:         st.NodeInfo.Moniker,
		Version:         Version,
		Height:          i64s(st.SyncInfo.LatestBlockHeight),
		AppHash:         upperHex(st.SyncInfo.LatestAppHash),
		LedgerHeight:    i64s(s.n.ledger.LastHeight()),
		LatestBlockHash: upperHex(st.SyncInfo.LatestBlockHash),
		LatestBlockTime: st.SyncInfo.LatestBlockTime.UTC().Format(time.RFC3339Nano),
		CatchingUp:      st.SyncInfo.CatchingUp,
	}, nil
}

func (s *apiServer) account(_ *rpctypes.Context, address addressParam) (*AccountResult, error) {
	if err := address.required(); err != nil {
		return nil, err
	}
	info, err := accountInfo(s.n.ledger.View(), s.n.ledger, address.Address)
	if err != nil {
		return nil, fmt.Errorf("read account %s: %w", address.Address, err)
	}
	if info == nil {
		return nil, fmt.Errorf("account %s is not registered", address.Address)
	}
	return info, nil
}

func (s *apiServer) balances(_ *rpctypes.Context, address addressParam) (*BalancesResult, error) {
	if err := address.required(); err != nil {
		return nil, err
	}
	v := s.n.ledger.View()
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
	return &BalancesResult{Address: address.Address.String(), Balances: describeBalances(bals)}, nil
}

func (s *apiServer) assets(_ *rpctypes.Context) (*AssetsResult, error) {
	as, err := s.n.ledger.View().Assets()
	if err != nil {
		return nil, fmt.Errorf("read assets: %w", err)
	}
	out := &AssetsResult{Assets: make([]AssetResult, len(as))}
	for i := range as {
		out.Assets[i] = describeAsset(&as[i])
	}
	return out, nil
}

func (s *apiServer) asset(_ *rpctypes.Context, symbol symbolParam) (*AssetResult, error) {
	if symbol.s == "" {
		return nil, errors.New("symbol is required")
	}
	a, err := s.n.ledger.View().Asset(symbol.s)
	if err != nil {
		return nil, fmt.Errorf("read asset %s: %w", symbol.s, err)
	}
	if a == nil {
		return nil, fmt.Errorf("asset %s does not exist", symbol.s)
	}
	r := describeAsset(a)
	return &r, nil
}

func (s *apiServer) tx(ctx *rpctypes.Context, hash hashParam) (*TxResult, error) {
	if hash.b == nil {
		return nil, errors.New("hash is required")
	}
	res, err := s.n.rpc.Tx(ctx.Context(), hash.b, false)
	if err != nil {
		if strings.Contains(err.Error(), "not found") {
			return nil, fmt.Errorf("transaction %s not found (not committed yet, or never)", upperHex(hash.b))
		}
		return nil, fmt.Errorf("look up transaction %s: %w", upperHex(hash.b), err)
	}
	r := describeResultTx(res)
	return &r, nil
}

func describeResultTx(res *ctypes.ResultTx) TxResult {
	r := TxResult{
		Hash:      upperHex(res.Hash),
		Height:    i64s(res.Height),
		Index:     res.Index,
		Code:      res.TxResult.Code,
		Codespace: res.TxResult.Codespace,
		Log:       res.TxResult.Log,
		Events:    describeEvents(res.TxResult.Events),
	}
	tx, err := ledger.DecodeTx(res.Tx)
	if err != nil {
		r.DecodeErr = err.Error()
	} else {
		r.Tx = DescribeTx(tx)
	}
	return r
}

func describeEvents(evs []abci.Event) []EventResult {
	out := make([]EventResult, len(evs))
	for i, e := range evs {
		attrs := make([]AttributeResult, len(e.Attributes))
		for j, a := range e.Attributes {
			attrs[j] = AttributeResult{Key: a.Key, Value: a.Value}
		}
		out[i] = EventResult{Type: e.Type, Attributes: attrs}
	}
	return out
}

func (s *apiServer) history(ctx *rpctypes.Context, address addressParam, page, perPage uintParam) (*HistoryResult, error) {
	if err := address.required(); err != nil {
		return nil, err
	}
	p, pp := int(page), int(perPage)
	if page == 0 {
		p = 1
	}
	if perPage == 0 {
		pp = DefaultHistoryPerPage
	}
	if pp > MaxHistoryPerPage {
		return nil, fmt.Errorf("per_page %d is above the maximum %d", perPage, MaxHistoryPerPage)
	}
	// The address was parsed, so it cannot break out of the quotes.
	q := fmt.Sprintf("account.address='%s'", address.Address)
	res, err := s.n.rpc.TxSearch(ctx.Context(), q, false, &p, &pp, "desc")
	if err != nil {
		return nil, fmt.Errorf("search the history of %s: %w", address.Address, err)
	}
	out := &HistoryResult{
		Address:    address.Address.String(),
		TotalCount: strconv.Itoa(res.TotalCount),
		Page:       strconv.Itoa(p),
		PerPage:    strconv.Itoa(pp),
		Txs:        make([]TxResult, len(res.Txs)),
	}
	for i, t := range res.Txs {
		out.Txs[i] = describeResultTx(t)
	}
	return out, nil
}

func (s *apiServer) validators(_ *rpctypes.Context) (*ValidatorsResult, error) {
	v := s.n.ledger.View()
	vals, err := v.Validators()
	if err != nil {
		return nil, fmt.Errorf("read validators: %w", err)
	}
	out := &ValidatorsResult{Height: i64s(v.Height()), Validators: make([]ValidatorResult, len(vals))}
	var total uint64
	for i := range vals {
		out.Validators[i] = describeValidator(&vals[i])
		total += vals[i].Power
	}
	out.TotalPower = u64s(total)
	return out, nil
}

func (s *apiServer) nodes(_ *rpctypes.Context) (*NodesResult, error) {
	v := s.n.ledger.View()
	allowed, err := s.n.app.allowedNodes(v)
	if err != nil {
		return nil, fmt.Errorf("read allowed nodes: %w", err)
	}
	byID := map[string]*NodeResult{}
	for _, id := range allowed {
		byID[id] = &NodeResult{ID: id, Allowed: true}
	}
	for _, p := range s.n.Switch().Peers().Copy() {
		id := string(p.ID())
		if byID[id] == nil {
			byID[id] = &NodeResult{ID: id}
		}
		byID[id].Connected = true
	}
	self := s.n.NodeID()
	if byID[self] != nil {
		byID[self].Self = true
	}
	out := &NodesResult{Height: i64s(v.Height()), Nodes: make([]NodeResult, 0, len(byID))}
	for _, r := range byID {
		out.Nodes = append(out.Nodes, *r)
	}
	sort.Slice(out.Nodes, func(i, j int) bool { return out.Nodes[i].ID < out.Nodes[j].ID })
	return out, nil
}

func (s *apiServer) proposals(_ *rpctypes.Context) (*ProposalsResult, error) {
	ps, err := s.n.ledger.View().Proposals()
	if err != nil {
		return nil, fmt.Errorf("read proposals: %w", err)
	}
	out := &ProposalsResult{Proposals: make([]ProposalResult, len(ps))}
	for i := range ps {
		out.Proposals[i] = describeProposal(&ps[i])
	}
	return out, nil
}

func (s *apiServer) proposal(_ *rpctypes.Context, id uintParam) (*ProposalResult, error) {
	if id == 0 {
		return nil, errors.New("id is required (proposal IDs start at 1)")
	}
	p, err := s.n.ledger.View().Proposal(uint64(id))
	if err != nil {
		return nil, fmt.Errorf("read proposal %d: %w", id, err)
	}
	if p == nil {
		return nil, fmt.Errorf("proposal %d does not exist", id)
	}
	r := describeProposal(p)
	return &r, nil
}

func (s *apiServer) params(_ *rpctypes.Context) (*ParamsResult, error) {
	v := s.n.ledger.View()
	p, err := v.Params()
	if err != nil {
		return nil, fmt.Errorf("read params: %w", err)
	}
	accts, err := v.Accounts()
	if err != nil {
		return nil, fmt.Errorf("read accounts: %w", err)
	}
	admins := 0
	for i := range accts {
		if accts[i].HasRole(ledger.RoleAdmin) {
			admins++
		}
	}
	return &ParamsResult{AdminThreshold: p.AdminThreshold, FreezeBlocksReceive: p.FreezeBlocksReceive, Admins: strconv.Itoa(admins)}, nil
}

func (s *apiServer) broadcastTx(ctx *rpctypes.Context, tx txParam) (*BroadcastResult, error) {
	if len(tx.b) == 0 {
		return nil, errors.New("tx is required (hex of the signed transaction)")
	}
	res, err := s.n.rpc.BroadcastTxSync(ctx.Context(), cmttypes.Tx(tx.b))
	if err != nil {
		return nil, fmt.Errorf("broadcast %s: %w", ledger.TxHashString(tx.b), err)
	}
	return &BroadcastResult{Hash: upperHex(res.Hash), Code: res.Code, Codespace: res.Codespace, Log: res.Log}, nil
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
