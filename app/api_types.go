package app

import (
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/tallyledger/tally/crypto"
	"github.com/tallyledger/tally/ledger"
)

// Results of the ledger JSON-RPC API. Every value is plain JSON: numbers
// that may exceed 2^53 (heights, nonces, amounts, IDs) are decimal strings,
// addresses are bech32 (tally1...), hashes upper-case hex, validator keys
// base64 (as CometBFT shows them) and hex.

// StatusResult is the result of status.
type StatusResult struct {
	ChainID         string `json:"chain_id"`
	NodeID          string `json:"node_id"`
	Moniker         string `json:"moniker"`
	Version         string `json:"version"`
	Height          string `json:"height"`        // latest block height
	AppHash         string `json:"app_hash"`      // app hash of the state after the latest block
	LedgerHeight    string `json:"ledger_height"` // height of the ledger's committed state
	LatestBlockHash string `json:"latest_block_hash"`
	LatestBlockTime string `json:"latest_block_time"` // RFC 3339, UTC
	CatchingUp      bool   `json:"catching_up"`
}

// AccountResult is the result of account.
type AccountResult struct {
	Address      string          `json:"address"`
	Nonce        string          `json:"nonce"`         // next nonce in the committed state
	PendingNonce string          `json:"pending_nonce"` // next nonce counting transactions in the mempool
	Frozen       bool            `json:"frozen"`
	FrozenReason string          `json:"frozen_reason"`
	Roles        []string        `json:"roles"`
	Balances     []BalanceResult `json:"balances"`
}

// BalanceResult is one balance.
type BalanceResult struct {
	Asset  string `json:"asset"`
	Amount string `json:"amount"`
}

// BalancesResult is the result of balances.
type BalancesResult struct {
	Address  string          `json:"address"`
	Balances []BalanceResult `json:"balances"`
}

// AssetResult is one asset.
type AssetResult struct {
	Symbol string `json:"symbol"`
	Issuer string `json:"issuer"`
	Supply string `json:"supply"`
	Paused bool   `json:"paused"`
}

// AssetsResult is the result of assets.
type AssetsResult struct {
	Assets []AssetResult `json:"assets"`
}

// EventResult is an event of a transaction.
type EventResult struct {
	Type       string            `json:"type"`
	Attributes []AttributeResult `json:"attributes"`
}

// AttributeResult is an event attribute.
type AttributeResult struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// TxResult is the result of tx and an entry of history: the decoded
// transaction with its outcome.
type TxResult struct {
	Hash      string        `json:"hash"`
	Height    string        `json:"height"`
	Index     uint32        `json:"index"` // position in the block
	Code      uint32        `json:"code"`  // 0 = success; ledger.Code otherwise
	Codespace string        `json:"codespace,omitempty"`
	Log       string        `json:"log"`
	Events    []EventResult `json:"events"`
	Tx        *TxBodyResult `json:"tx,omitempty"`           // nil if the bytes do not decode
	DecodeErr string        `json:"decode_error,omitempty"` // why they do not
}

// TxBodyResult is a decoded transaction.
type TxBodyResult struct {
	Type   string     `json:"type"` // transfer, mint, burn, propose, vote
	Sender string     `json:"sender"`
	PubKey string     `json:"pub_key"` // compressed secp256k1, hex
	Nonce  string     `json:"nonce"`
	Expiry string     `json:"expiry"` // 0 = never expires
	Memo   string     `json:"memo"`
	Msg    *MsgResult `json:"msg"`
}

// MsgResult holds the fields of a message; only those of its type are set.
type MsgResult struct {
	To       string        `json:"to,omitempty"`       // transfer, mint
	Asset    string        `json:"asset,omitempty"`    // transfer, mint, burn
	Amount   string        `json:"amount,omitempty"`   // transfer, mint, burn
	Action   *ActionResult `json:"action,omitempty"`   // propose
	Expiry   string        `json:"expiry,omitempty"`   // propose: last height it can pass
	Proposal string        `json:"proposal,omitempty"` // vote: proposal ID
	Approve  *bool         `json:"approve,omitempty"`  // vote
}

// ActionResult is a governance action; only the fields of its type are set.
type ActionResult struct {
	Type      string   `json:"type"` // register-account, freeze, allow-node...
	Address   string   `json:"address,omitempty"`
	Roles     []string `json:"roles,omitempty"`
	Role      string   `json:"role,omitempty"`
	Reason    string   `json:"reason,omitempty"`
	Symbol    string   `json:"symbol,omitempty"`
	Issuer    string   `json:"issuer,omitempty"`
	PubKey    string   `json:"pub_key,omitempty"` // ed25519, base64
	PubKeyHex string   `json:"pub_key_hex,omitempty"`
	Power     string   `json:"power,omitempty"`
	NodeID    string   `json:"node_id,omitempty"`
	Threshold string   `json:"threshold,omitempty"`
}

// HistoryResult is the result of history: one page of an account's
// transactions, newest first.
type HistoryResult struct {
	Address    string     `json:"address"`
	TotalCount string     `json:"total_count"`
	Page       string     `json:"page"`
	PerPage    string     `json:"per_page"`
	Txs        []TxResult `json:"txs"`
}

// ValidatorResult is one validator of the ledger's state.
type ValidatorResult struct {
	Address   string `json:"address"` // CometBFT address, upper-case hex
	PubKey    string `json:"pub_key"` // ed25519, base64
	PubKeyHex string `json:"pub_key_hex"`
	Power     string `json:"power"`
}

// ValidatorsResult is the result of validators.
type ValidatorsResult struct {
	Height     string            `json:"height"`
	TotalPower string            `json:"total_power"`
	Validators []ValidatorResult `json:"validators"`
}

// NodeResult is a node ID the ledger allows, or a connected peer.
type NodeResult struct {
	ID        string `json:"id"`
	Allowed   bool   `json:"allowed"`
	Connected bool   `json:"connected"` // a peer of this node now
	Self      bool   `json:"self"`      // this node
}

// NodesResult is the result of nodes.
type NodesResult struct {
	Height string       `json:"height"`
	Nodes  []NodeResult `json:"nodes"`
}

// ProposalResult is a governance proposal.
type ProposalResult struct {
	ID             string       `json:"id"`
	Proposer       string       `json:"proposer"`
	Action         ActionResult `json:"action"`
	Expiry         string       `json:"expiry"`
	Status         string       `json:"status"` // open, executed, rejected, expired
	Approvals      []string     `json:"approvals"`
	Rejections     []string     `json:"rejections"`
	CreatedHeight  string       `json:"created_height"`
	ExecutedHeight string       `json:"executed_height"`
	ClosedHeight   string       `json:"closed_height"`
}

// ProposalsResult is the result of proposals.
type ProposalsResult struct {
	Proposals []ProposalResult `json:"proposals"`
}

// ParamsResult is the result of params.
type ParamsResult struct {
	AdminThreshold      uint32 `json:"admin_threshold"`
	FreezeBlocksReceive bool   `json:"freeze_blocks_receive"`
	Admins              string `json:"admins"` // number of admins
}

// BroadcastResult is the result of broadcast_tx: the mempool's verdict.
type BroadcastResult struct {
	Hash      string `json:"hash"`
	Code      uint32 `json:"code"` // 0 = admitted to the mempool
	Codespace string `json:"codespace,omitempty"`
	Log       string `json:"log"`
}

func u64s(n uint64) string { return strconv.FormatUint(n, 10) }
func i64s(n int64) string  { return strconv.FormatInt(n, 10) }
func upperHex(b []byte) string {
	return strings.ToUpper(hex.EncodeToString(b))
}

// DescribeTx turns a decoded transaction into its plain-JSON form.
func DescribeTx(tx *ledger.Tx) *TxBodyResult {
	out := &TxBodyResult{
		Type:   tx.Body.Msg.Type(),
		Sender: tx.Sender().String(),
		PubKey: hex.EncodeToString(tx.PubKey),
		Nonce:  u64s(tx.Body.Nonce),
		Expiry: u64s(tx.Body.Expiry),
		Memo:   tx.Body.Memo,
		Msg:    &MsgResult{},
	}
	m := &tx.Body.Msg
	switch {
	case m.Transfer != nil:
		out.Msg.To, out.Msg.Asset, out.Msg.Amount = m.Transfer.To.String(), m.Transfer.Asset, u64s(m.Transfer.Amount)
	case m.Mint != nil:
		out.Msg.To, out.Msg.Asset, out.Msg.Amount = m.Mint.To.String(), m.Mint.Asset, u64s(m.Mint.Amount)
	case m.Burn != nil:
		out.Msg.Asset, out.Msg.Amount = m.Burn.Asset, u64s(m.Burn.Amount)
	case m.Propose != nil:
		a := DescribeAction(&m.Propose.Action)
		out.Msg.Action, out.Msg.Expiry = &a, u64s(m.Propose.Expiry)
	case m.Vote != nil:
		approve := m.Vote.Approve
		out.Msg.Proposal, out.Msg.Approve = u64s(m.Vote.Proposal), &approve
	}
	return out
}

// DescribeAction turns a governance action into its plain-JSON form.
func DescribeAction(a *ledger.Action) ActionResult {
	out := ActionResult{Type: a.Type()}
	switch {
	case a.RegisterAccount != nil:
		out.Address = a.RegisterAccount.Address.String()
		for _, r := range a.RegisterAccount.Roles {
			out.Roles = append(out.Roles, string(r))
		}
	case a.RemoveAccount != nil:
		out.Address = a.RemoveAccount.Address.String()
	case a.GrantRole != nil:
		out.Address, out.Role = a.GrantRole.Address.String(), string(a.GrantRole.Role)
	case a.RevokeRole != nil:
		out.Address, out.Role = a.RevokeRole.Address.String(), string(a.RevokeRole.Role)
	case a.Freeze != nil:
		out.Address, out.Reason = a.Freeze.Address.String(), a.Freeze.Reason
	case a.Unfreeze != nil:
		out.Address = a.Unfreeze.Address.String()
	case a.CreateAsset != nil:
		out.Symbol, out.Issuer = a.CreateAsset.Symbol, a.CreateAsset.Issuer.String()
	case a.PauseAsset != nil:
		out.Symbol = a.PauseAsset.Symbol
	case a.UnpauseAsset != nil:
		out.Symbol = a.UnpauseAsset.Symbol
	case a.SetValidatorPower != nil:
		out.PubKey = base64.StdEncoding.EncodeToString(a.SetValidatorPower.PubKey)
		out.PubKeyHex = hex.EncodeToString(a.SetValidatorPower.PubKey)
		out.Power = u64s(a.SetValidatorPower.Power)
	case a.AllowNode != nil:
		out.NodeID = a.AllowNode.NodeID
	case a.DenyNode != nil:
		out.NodeID = a.DenyNode.NodeID
	case a.SetThreshold != nil:
		out.Threshold = u64s(uint64(a.SetThreshold.Threshold))
	}
	return out
}

func describeProposal(p *ledger.Proposal) ProposalResult {
	return ProposalResult{
		ID:             u64s(p.ID),
		Proposer:       p.Proposer.String(),
		Action:         DescribeAction(&p.Action),
		Expiry:         u64s(p.Expiry),
		Status:         p.Status,
		Approvals:      addressStrings(p.Approvals),
		Rejections:     addressStrings(p.Rejections),
		CreatedHeight:  u64s(p.CreatedHeight),
		ExecutedHeight: u64s(p.ExecutedHeight),
		ClosedHeight:   u64s(p.ClosedHeight),
	}
}

func describeAsset(a *ledger.Asset) AssetResult {
	return AssetResult{Symbol: a.Symbol, Issuer: a.Issuer.String(), Supply: u64s(a.Supply), Paused: a.Paused}
}

func describeValidator(v *ledger.Validator) ValidatorResult {
	addr := ledger.CometBFTAddress(v.PubKey)
	return ValidatorResult{
		Address:   upperHex(addr[:]),
		PubKey:    base64.StdEncoding.EncodeToString(v.PubKey),
		PubKeyHex: hex.EncodeToString(v.PubKey),
		Power:     u64s(v.Power),
	}
}

func describeBalances(bs []ledger.Balance) []BalanceResult {
	out := make([]BalanceResult, len(bs))
	for i, b := range bs {
		out[i] = BalanceResult{Asset: b.Asset, Amount: u64s(b.Amount)}
	}
	return out
}

func addressStrings(as []crypto.Address) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.String()
	}
	return out
}

// accountInfo reads an account with its balances from v and its pending
// nonce from the ledger's check state; nil when the account is not
// registered.
func accountInfo(v *ledger.View, l *ledger.Ledger, addr crypto.Address) (*AccountResult, error) {
	acct, err := v.Account(addr)
	if err != nil || acct == nil {
		return nil, err
	}
	bals, err := v.Balances(addr)
	if err != nil {
		return nil, err
	}
	pending := acct.Nonce
	if n, ok := l.PendingNonce(addr); ok && n > pending {
		pending = n
	}
	roles := make([]string, len(acct.Roles))
	for i, r := range acct.Roles {
		roles[i] = string(r)
	}
	return &AccountResult{
		Address:      addr.String(),
		Nonce:        u64s(acct.Nonce),
		PendingNonce: u64s(pending),
		Frozen:       acct.Frozen,
		FrozenReason: acct.FrozenReason,
		Roles:        roles,
		Balances:     describeBalances(bals),
	}, nil
}
