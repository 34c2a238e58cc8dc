package client

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/tallyledger/tally/crypto"
	"github.com/tallyledger/tally/ledger"
	"github.com/tallyledger/tally/wire"
)

// Status is what a node says about itself and its chain.
type Status struct {
	NodeURL string `json:"node_url"`
	APIURL  string `json:"api_url"`
	ChainID string `json:"chain_id"`
	NodeID  string `json:"node_id"`
	Moniker string `json:"moniker"`
	// Version is the node's software version (`tallyd version`), set by
	// SoftwareVersion; CometBFTVersion is the consensus engine's.
	Version         string    `json:"version"`
	CometBFTVersion string    `json:"cometbft_version"`
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
	if st.NodeInfo.Network == "" {
		// Another JSON-RPC server (the ledger API has a status method too)
		// answers with a result that decodes to nothing.
		return nil, &NodeError{URL: c.nodeURL, Method: "status", Message: "answered without a chain ID; is this the node's CometBFT RPC address?"}
	}
	return &Status{
		NodeURL:         c.nodeURL,
		APIURL:          c.apiURL,
		ChainID:         st.NodeInfo.Network,
		NodeID:          string(st.NodeInfo.DefaultNodeID),
		Moniker:         st.NodeInfo.Moniker,
		CometBFTVersion: st.NodeInfo.Version,
		LatestHeight:    st.SyncInfo.LatestBlockHeight,
		LatestBlockHash: st.SyncInfo.LatestBlockHash.String(),
		LatestAppHash:   st.SyncInfo.LatestAppHash.String(),
		LatestBlockTime: st.SyncInfo.LatestBlockTime,
		CatchingUp:      st.SyncInfo.CatchingUp,
		ValidatorAddr:   st.ValidatorInfo.Address.String(),
		VotingPower:     st.ValidatorInfo.VotingPower,
	}, nil
}

// SoftwareVersion asks the ledger API for the node's software version, the
// string `tallyd version` prints.
func (c *Client) SoftwareVersion(ctx context.Context) (string, error) {
	var st struct {
		Version string `json:"version"`
	}
	if err := c.callAPI(ctx, "status", nil, &st); err != nil {
		return "", err
	}
	return st.Version, nil
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

// accountFrom converts the API's account into the client's typed view.
func accountFrom(w *wire.AccountResult) *Account {
	a := &Account{
		Address:      w.Address,
		Nonce:        uint64(w.Nonce),
		PendingNonce: max(uint64(w.PendingNonce), uint64(w.Nonce)),
		Frozen:       w.Frozen,
		FrozenReason: w.FrozenReason,
		Roles:        append([]string{}, w.Roles...),
		Balances:     make([]Balance, 0, len(w.Balances)),
	}
	for _, b := range w.Balances {
		a.Balances = append(a.Balances, Balance{Asset: b.Asset, Amount: uint64(b.Amount)})
	}
	return a
}

// Balance returns the account's balance of asset (0 if it holds none).
func (a Account) Balance(asset string) uint64 {
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
	var w *wire.AccountResult
	err := c.callAPI(ctx, wire.MethodAccount, map[string]any{wire.ParamAddress: addr.String()}, &w)
	if err != nil {
		if isNotFound(err) {
			return nil, kindErrorf(ErrNotFound, "account %s is not registered on the ledger", addr)
		}
		return nil, err
	}
	if w == nil || w.Address == "" {
		return nil, kindErrorf(ErrNotFound, "account %s is not registered on the ledger", addr)
	}
	return accountFrom(w), nil
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

func assetFrom(w wire.AssetResult) Asset {
	return Asset{Symbol: w.Symbol, Issuer: w.Issuer, Supply: uint64(w.Supply), Paused: w.Paused}
}

// Assets lists every asset, by symbol.
func (c *Client) Assets(ctx context.Context) ([]Asset, error) {
	var res wire.AssetsResult
	if err := c.callAPI(ctx, wire.MethodAssets, nil, &res); err != nil {
		return nil, err
	}
	out := make([]Asset, 0, len(res.Assets))
	for _, w := range res.Assets {
		out = append(out, assetFrom(w))
	}
	return out, nil
}

// Asset returns one asset; an unknown symbol gives an error matching
// ErrNotFound.
func (c *Client) Asset(ctx context.Context, symbol string) (*Asset, error) {
	var w *wire.AssetResult
	if err := c.callAPI(ctx, wire.MethodAsset, map[string]any{wire.ParamSymbol: symbol}, &w); err != nil {
		if isNotFound(err) {
			return nil, kindErrorf(ErrNotFound, "asset %s does not exist", symbol)
		}
		return nil, err
	}
	if w == nil || w.Symbol == "" {
		return nil, kindErrorf(ErrNotFound, "asset %s does not exist", symbol)
	}
	a := assetFrom(*w)
	return &a, nil
}

// Proposal is a governance proposal in the wallet's readable form: numbers
// as JSON numbers, heights not reached left out (nil).
type Proposal = wire.ProposalView

// Proposals lists every governance proposal, by ID.
func (c *Client) Proposals(ctx context.Context) ([]Proposal, error) {
	var res wire.ProposalsResult
	if err := c.callAPI(ctx, wire.MethodProposals, nil, &res); err != nil {
		return nil, err
	}
	out := make([]Proposal, 0, len(res.Proposals))
	for _, w := range res.Proposals {
		out = append(out, wire.ViewProposal(w))
	}
	return out, nil
}

// Proposal returns one proposal; an unknown ID gives an error matching
// ErrNotFound.
func (c *Client) Proposal(ctx context.Context, id uint64) (*Proposal, error) {
	var w *wire.ProposalResult
	if err := c.callAPI(ctx, wire.MethodProposal, map[string]any{wire.ParamID: strconv.FormatUint(id, 10)}, &w); err != nil {
		if isNotFound(err) {
			return nil, kindErrorf(ErrNotFound, "proposal %d does not exist", id)
		}
		return nil, err
	}
	if w == nil || w.ID == 0 {
		return nil, kindErrorf(ErrNotFound, "proposal %d does not exist", id)
	}
	p := wire.ViewProposal(*w)
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

// Nodes returns the node IDs the ledger allows to connect and the node's
// current peers, by ID.
func (c *Client) Nodes(ctx context.Context) ([]wire.NodeResult, error) {
	var res wire.NodesResult
	if err := c.callAPI(ctx, wire.MethodNodes, nil, &res); err != nil {
		return nil, err
	}
	if res.Nodes == nil {
		res.Nodes = []wire.NodeResult{}
	}
	return res.Nodes, nil
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
	// Evidence lists the validator misbehaviour (double signing) the block
	// commits, one entry per validator a piece of evidence names.
	Evidence []Misbehavior `json:"evidence,omitempty"`
}

// Misbehavior is a validator's misbehaviour proven by evidence in a block.
type Misbehavior struct {
	Type      string `json:"type"`      // duplicate_vote, light_client_attack
	Validator string `json:"validator"` // consensus address, upper-case hex
	Height    int64  `json:"height"`    // where it misbehaved
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
			return nil, kindErrorf(ErrNotFound, "%v", err)
		}
		return nil, err
	}
	if res.Block == nil {
		return nil, kindErrorf(ErrNotFound, "block %d", height)
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
	for _, ev := range b.Evidence.Evidence {
		switch e := ev.(type) {
		case *cmttypes.DuplicateVoteEvidence:
			if e.VoteA != nil {
				out.Evidence = append(out.Evidence, Misbehavior{Type: "duplicate_vote", Validator: e.VoteA.ValidatorAddress.String(), Height: e.Height()})
			}
		case *cmttypes.LightClientAttackEvidence:
			for _, v := range e.ByzantineValidators {
				out.Evidence = append(out.Evidence, Misbehavior{Type: "light_client_attack", Validator: v.Address.String(), Height: e.Height()})
			}
		}
	}
	return out, nil
}
