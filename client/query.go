package client

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/tallyledger/tally/crypto"
	"github.com/tallyledger/tally/ledger"
)

// Status is what a node says about itself and its chain.
type Status struct {
	NodeURL         string    `json:"node_url"`
	APIURL          string    `json:"api_url"`
	ChainID         string    `json:"chain_id"`
	NodeID          string    `json:"node_id"`
	Moniker         string    `json:"moniker"`
	Version         string    `json:"version"`
	LatestHeight    int64     `json:"latest_height"`
	LatestBlockHash string    `json:"latest_block_hash"`
	LatestAppHash   string    `json:"latest_app_hash"`
	LatestBlockTime time.Time `json:"latest_block_time"`
	CatchingUp      bool      `json:"catching_up"`
	ValidatorAddr   string    `json:"validator_address"`
	VotingPower     int64     `json:"voting_power"`
}

// Status asks the node for its status (CometBFT /status).
func (c *Client) Status(ctx context.Context) (*Status, error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	st, err := c.rpc.Status(ctx)
	if err != nil {
		return nil, wrapErr(c.nodeURL, "status", err)
	}
	return &Status{
		NodeURL:         c.nodeURL,
		APIURL:          c.apiURL,
		ChainID:         st.NodeInfo.Network,
		NodeID:          string(st.NodeInfo.DefaultNodeID),
		Moniker:         st.NodeInfo.Moniker,
		Version:         st.NodeInfo.Version,
		LatestHeight:    st.SyncInfo.LatestBlockHeight,
		LatestBlockHash: st.SyncInfo.LatestBlockHash.String(),
		LatestAppHash:   st.SyncInfo.LatestAppHash.String(),
		LatestBlockTime: st.SyncInfo.LatestBlockTime,
		CatchingUp:      st.SyncInfo.CatchingUp,
		ValidatorAddr:   st.ValidatorInfo.Address.String(),
		VotingPower:     st.ValidatorInfo.VotingPower,
	}, nil
}

// ChainID returns the node's chain ID.
func (c *Client) ChainID(ctx context.Context) (string, error) {
	st, err := c.Status(ctx)
	if err != nil {
		return "", err
	}
	return st.ChainID, nil
}

// Balance is an amount of one asset.
type Balance struct {
	Asset  string `json:"asset"`
	Amount uint64 `json:"amount,string"`
}

// Account is an account's state as the ledger API shows it. PendingNonce
// counts the account's transactions admitted to the node's mempool but not
// yet in a block: it is the nonce the next transaction must use.
type Account struct {
	Address      string    `json:"address"`
	Nonce        uint64    `json:"nonce"`
	PendingNonce uint64    `json:"pending_nonce"`
	Frozen       bool      `json:"frozen"`
	FrozenReason string    `json:"frozen_reason,omitempty"`
	Roles        []string  `json:"roles"`
	Balances     []Balance `json:"balances"`
}

type wireBalance struct {
	Asset  string   `json:"asset"`
	Amount flexUint `json:"amount"`
}

type wireAccount struct {
	Address      string        `json:"address"`
	Nonce        flexUint      `json:"nonce"`
	PendingNonce *flexUint     `json:"pending_nonce"`
	Frozen       bool          `json:"frozen"`
	FrozenReason string        `json:"frozen_reason"`
	Roles        []string      `json:"roles"`
	Balances     []wireBalance `json:"balances"`
}

func (w *wireAccount) account() *Account {
	a := &Account{
		Address:      w.Address,
		Nonce:        uint64(w.Nonce),
		PendingNonce: uint64(w.Nonce),
		Frozen:       w.Frozen,
		FrozenReason: w.FrozenReason,
		Roles:        append([]string{}, w.Roles...),
		Balances:     make([]Balance, 0, len(w.Balances)),
	}
	if w.PendingNonce != nil && uint64(*w.PendingNonce) > a.PendingNonce {
		a.PendingNonce = uint64(*w.PendingNonce)
	}
	for _, b := range w.Balances {
		a.Balances = append(a.Balances, Balance{Asset: b.Asset, Amount: uint64(b.Amount)})
	}
	return a
}

// Balance returns the account's balance of asset (0 if it holds none).
func (a *Account) Balance(asset string) uint64 {
	for _, b := range a.Balances {
		if b.Asset == asset {
			return b.Amount
		}
	}
	return 0
}

// Account returns the account's state from the ledger API. An account
// that is not registered gives an error matching ErrNotFound.
func (c *Client) Account(ctx context.Context, addr crypto.Address) (*Account, error) {
	var w *wireAccount
	err := c.callAPI(ctx, "account", map[string]any{"address": addr.String()}, &w)
	if err != nil {
		if isNotFound(err) {
			return nil, fmt.Errorf("account %s is not registered on the ledger: %w", addr, ErrNotFound)
		}
		return nil, err
	}
	if w == nil || w.Address == "" {
		return nil, fmt.Errorf("account %s is not registered on the ledger: %w", addr, ErrNotFound)
	}
	return w.account(), nil
}

// NextNonce returns the nonce the account's next transaction must carry:
// the ledger's pending nonce, which counts transactions already admitted
// to the node's mempool.
func (c *Client) NextNonce(ctx context.Context, addr crypto.Address) (uint64, error) {
	a, err := c.Account(ctx, addr)
	if err != nil {
		return 0, err
	}
	return a.PendingNonce, nil
}

// Asset is an asset's record.
type Asset struct {
	Symbol string `json:"symbol"`
	Issuer string `json:"issuer"`
	Supply uint64 `json:"supply,string"`
	Paused bool   `json:"paused"`
}

type wireAsset struct {
	Symbol string   `json:"symbol"`
	Issuer string   `json:"issuer"`
	Supply flexUint `json:"supply"`
	Paused bool     `json:"paused"`
}

func (w wireAsset) asset() Asset {
	return Asset{Symbol: w.Symbol, Issuer: w.Issuer, Supply: uint64(w.Supply), Paused: w.Paused}
}

// Assets lists every asset, by symbol.
func (c *Client) Assets(ctx context.Context) ([]Asset, error) {
	var ws []wireAsset
	if err := c.callAPI(ctx, "assets", nil, &ws); err != nil {
		return nil, err
	}
	out := make([]Asset, 0, len(ws))
	for _, w := range ws {
		out = append(out, w.asset())
	}
	return out, nil
}

// Asset returns one asset; an unknown symbol gives an error matching
// ErrNotFound.
func (c *Client) Asset(ctx context.Context, symbol string) (*Asset, error) {
	var w *wireAsset
	if err := c.callAPI(ctx, "asset", map[string]any{"symbol": symbol}, &w); err != nil {
		if isNotFound(err) {
			return nil, fmt.Errorf("asset %s does not exist: %w", symbol, ErrNotFound)
		}
		return nil, err
	}
	if w == nil || w.Symbol == "" {
		return nil, fmt.Errorf("asset %s does not exist: %w", symbol, ErrNotFound)
	}
	a := w.asset()
	return &a, nil
}

// Proposal is a governance proposal. Action is the ledger API's JSON form
// of the proposed action, passed through unchanged.
type Proposal struct {
	ID             uint64          `json:"id"`
	Proposer       string          `json:"proposer"`
	Action         json.RawMessage `json:"action"`
	Expiry         uint64          `json:"expiry"`
	Approvals      []string        `json:"approvals"`
	Rejections     []string        `json:"rejections"`
	Status         string          `json:"status"`
	ExecutedHeight uint64          `json:"executed_height,omitempty"`
}

type wireProposal struct {
	ID             flexUint        `json:"id"`
	Proposer       string          `json:"proposer"`
	Action         json.RawMessage `json:"action"`
	Expiry         flexUint        `json:"expiry"`
	Approvals      []string        `json:"approvals"`
	Rejections     []string        `json:"rejections"`
	Status         string          `json:"status"`
	ExecutedHeight flexUint        `json:"executed_height"`
}

func (w wireProposal) proposal() Proposal {
	p := Proposal{
		ID: uint64(w.ID), Proposer: w.Proposer, Action: w.Action, Expiry: uint64(w.Expiry),
		Approvals: append([]string{}, w.Approvals...), Rejections: append([]string{}, w.Rejections...),
		Status: w.Status, ExecutedHeight: uint64(w.ExecutedHeight),
	}
	if len(p.Action) == 0 {
		p.Action = json.RawMessage("null")
	}
	return p
}

// ActionType returns the proposal's action name (register-account,
// freeze...) when the API's action JSON names it, else "".
func (p *Proposal) ActionType() string {
	var s string
	if json.Unmarshal(p.Action, &s) == nil {
		return s
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(p.Action, &obj) != nil {
		return ""
	}
	if t, ok := obj["type"]; ok && json.Unmarshal(t, &s) == nil {
		return s
	}
	if len(obj) == 1 {
		for k := range obj {
			return k
		}
	}
	return ""
}

// Proposals lists every governance proposal, by ID.
func (c *Client) Proposals(ctx context.Context) ([]Proposal, error) {
	var ws []wireProposal
	if err := c.callAPI(ctx, "proposals", nil, &ws); err != nil {
		return nil, err
	}
	out := make([]Proposal, 0, len(ws))
	for _, w := range ws {
		out = append(out, w.proposal())
	}
	return out, nil
}

// Proposal returns one proposal; an unknown ID gives an error matching
// ErrNotFound.
func (c *Client) Proposal(ctx context.Context, id uint64) (*Proposal, error) {
	var w *wireProposal
	if err := c.callAPI(ctx, "proposal", map[string]any{"id": strconv.FormatUint(id, 10)}, &w); err != nil {
		if isNotFound(err) {
			return nil, fmt.Errorf("proposal %d does not exist: %w", id, ErrNotFound)
		}
		return nil, err
	}
	if w == nil || w.ID == 0 {
		return nil, fmt.Errorf("proposal %d does not exist: %w", id, ErrNotFound)
	}
	p := w.proposal()
	return &p, nil
}

// Validator is a member of the consensus validator set.
type Validator struct {
	Address     string `json:"address"`      // CometBFT validator address (hex)
	PubKey      string `json:"pub_key"`      // ed25519 public key, base64
	PubKeyHex   string `json:"pub_key_hex"`  // the same key in hex
	VotingPower int64  `json:"voting_power"` // consensus power
}

// Validators returns the consensus validator set at the latest height
// (CometBFT /validators, every page).
func (c *Client) Validators(ctx context.Context) (height int64, vals []Validator, err error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	perPage := 100
	for page := 1; ; page++ {
		p, pp := page, perPage
		var h *int64
		if height > 0 {
			h = &height
		}
		res, err := c.rpc.Validators(ctx, h, &p, &pp)
		if err != nil {
			return 0, nil, wrapErr(c.nodeURL, "validators", err)
		}
		height = res.BlockHeight
		for _, v := range res.Validators {
			pk := v.PubKey.Bytes()
			vals = append(vals, Validator{
				Address:     v.Address.String(),
				PubKey:      base64.StdEncoding.EncodeToString(pk),
				PubKeyHex:   hex.EncodeToString(pk),
				VotingPower: v.VotingPower,
			})
		}
		if len(vals) >= res.Total || len(res.Validators) == 0 {
			return height, vals, nil
		}
	}
}

// Peer is a node this node is connected to.
type Peer struct {
	ID       string `json:"id"`
	Moniker  string `json:"moniker"`
	RemoteIP string `json:"remote_ip"`
	Outbound bool   `json:"outbound"`
}

// Nodes is the network's node permissioning: the node IDs the ledger
// allows to connect, and the peers this node is connected to.
type Nodes struct {
	Allowed []string `json:"allowed"`
	Peers   []Peer   `json:"peers"`
}

// Nodes returns the allowed node IDs (ledger API) and the node's current
// peers (CometBFT /net_info).
func (c *Client) Nodes(ctx context.Context) (*Nodes, error) {
	var raw json.RawMessage
	if err := c.callAPI(ctx, "nodes", nil, &raw); err != nil {
		return nil, err
	}
	allowed, err := decodeNodeIDs(raw)
	if err != nil {
		return nil, &NodeError{URL: c.apiURL, Method: "nodes", Message: err.Error()}
	}
	out := &Nodes{Allowed: allowed, Peers: []Peer{}}
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	ni, err := c.rpc.NetInfo(ctx)
	if err != nil {
		return nil, wrapErr(c.nodeURL, "net_info", err)
	}
	for _, p := range ni.Peers {
		out.Peers = append(out.Peers, Peer{
			ID: string(p.NodeInfo.DefaultNodeID), Moniker: p.NodeInfo.Moniker,
			RemoteIP: p.RemoteIP, Outbound: p.IsOutbound,
		})
	}
	return out, nil
}

// decodeNodeIDs accepts a list of IDs, a list of {"id"|"node_id": ...}
// objects, or an object holding such a list.
func decodeNodeIDs(raw json.RawMessage) ([]string, error) {
	var ids []string
	if json.Unmarshal(raw, &ids) == nil {
		return ids, nil
	}
	var objs []map[string]any
	if json.Unmarshal(raw, &objs) == nil {
		for _, o := range objs {
			for _, k := range []string{"node_id", "id"} {
				if s, ok := o[k].(string); ok {
					ids = append(ids, s)
					break
				}
			}
		}
		return ids, nil
	}
	var wrapper map[string]json.RawMessage
	if json.Unmarshal(raw, &wrapper) == nil {
		for _, k := range []string{"allowed_nodes", "allowed", "nodes"} {
			if v, ok := wrapper[k]; ok {
				return decodeNodeIDs(v)
			}
		}
	}
	return nil, fmt.Errorf("unexpected nodes result: %s", firstLine(string(raw)))
}

// Block is a block's header summary and its transactions.
type Block struct {
	Height          int64     `json:"height"`
	Hash            string    `json:"hash"`
	Time            time.Time `json:"time"`
	ChainID         string    `json:"chain_id"`
	Proposer        string    `json:"proposer"`
	AppHash         string    `json:"app_hash"`
	LastBlockHash   string    `json:"last_block_hash"`
	ValidatorsHash  string    `json:"validators_hash"`
	NumSignatures   int       `json:"num_signatures"`
	TxHashes        []string  `json:"txs"`
	LastCommitRound int32     `json:"last_commit_round"`
}

// Block returns the block at height (0 = latest).
func (c *Client) Block(ctx context.Context, height int64) (*Block, error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	var h *int64
	if height > 0 {
		h = &height
	}
	res, err := c.rpc.Block(ctx, h)
	if err != nil {
		err = wrapErr(c.nodeURL, "block", err)
		if isNotFound(err) || strings.Contains(err.Error(), "height") {
			return nil, fmt.Errorf("block %d: %v: %w", height, err, ErrNotFound)
		}
		return nil, err
	}
	if res.Block == nil {
		return nil, fmt.Errorf("block %d: %w", height, ErrNotFound)
	}
	b := res.Block
	out := &Block{
		Height: b.Height, Hash: res.BlockID.Hash.String(), Time: b.Time, ChainID: b.ChainID,
		Proposer: b.ProposerAddress.String(), AppHash: b.AppHash.String(),
		LastBlockHash: b.LastBlockID.Hash.String(), ValidatorsHash: b.ValidatorsHash.String(),
		TxHashes: make([]string, 0, len(b.Txs)),
	}
	if b.LastCommit != nil {
		out.LastCommitRound = b.LastCommit.Round
		for _, s := range b.LastCommit.Signatures {
			if s.BlockIDFlag == cmttypes.BlockIDFlagCommit {
				out.NumSignatures++
			}
		}
	}
	for _, tx := range b.Txs {
		out.TxHashes = append(out.TxHashes, ledger.TxHashString(tx))
	}
	return out, nil
}
