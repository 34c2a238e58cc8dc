package wire

import (
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"

	abci "github.com/cometbft/cometbft/abci/types"
	ctypes "github.com/cometbft/cometbft/rpc/core/types"

	"github.com/tallyledger/tally/crypto"
	"github.com/tallyledger/tally/ledger"
)

// The Describe functions turn the ledger's types into the API's plain-JSON
// results. The node answers with them and clients decode the same types,
// so the two cannot disagree on a field.

func u64s(n uint64) string { return strconv.FormatUint(n, 10) }

// UpperHex writes bytes in upper-case hex, as CometBFT shows hashes.
func UpperHex(b []byte) string {
	return strings.ToUpper(hex.EncodeToString(b))
}

// DescribeAccount is an account with its balances; pending is the next
// nonce counting transactions in the node's mempool (the committed nonce
// when it is lower).
func DescribeAccount(acct *ledger.Account, bals []ledger.Balance, pending uint64) *AccountResult {
	roles := make([]string, len(acct.Roles))
	for i, r := range acct.Roles {
		roles[i] = string(r)
	}
	return &AccountResult{
		Address:      acct.Address.String(),
		Nonce:        Uint64(acct.Nonce),
		PendingNonce: Uint64(max(pending, acct.Nonce)),
		Frozen:       acct.Frozen,
		FrozenReason: acct.FrozenReason,
		Roles:        roles,
		Balances:     DescribeBalances(bals),
	}
}

// DescribeResultTx turns a committed transaction, as CometBFT's tx and
// tx_search return it, into its plain-JSON form. Bytes that do not decode
// as a transaction leave Tx nil and say why in DecodeErr.
func DescribeResultTx(res *ctypes.ResultTx) TxResult {
	r := TxResult{
		Hash:      UpperHex(res.Hash),
		Height:    Int64(res.Height),
		Index:     res.Index,
		Code:      res.TxResult.Code,
		Codespace: res.TxResult.Codespace,
		Log:       res.TxResult.Log,
		Events:    DescribeEvents(res.TxResult.Events),
	}
	tx, err := ledger.DecodeTx(res.Tx)
	if err != nil {
		r.DecodeErr = err.Error()
	} else {
		r.Tx = DescribeTx(tx)
	}
	return r
}

// DescribeEvents turns a transaction's ABCI events into their plain-JSON
// form, attributes in order.
func DescribeEvents(evs []abci.Event) []EventResult {
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

// DescribeProposal turns a proposal into its plain-JSON form.
func DescribeProposal(p *ledger.Proposal) ProposalResult {
	return ProposalResult{
		ID:             Uint64(p.ID),
		Proposer:       p.Proposer.String(),
		Action:         DescribeAction(&p.Action),
		Expiry:         Uint64(p.Expiry),
		Status:         p.Status,
		Approvals:      addressStrings(p.Approvals),
		Rejections:     addressStrings(p.Rejections),
		CreatedHeight:  Uint64(p.CreatedHeight),
		ExecutedHeight: Uint64(p.ExecutedHeight),
		ClosedHeight:   Uint64(p.ClosedHeight),
	}
}

// DescribeAsset turns an asset into its plain-JSON form.
func DescribeAsset(a *ledger.Asset) AssetResult {
	return AssetResult{Symbol: a.Symbol, Issuer: a.Issuer.String(), Supply: Uint64(a.Supply), Paused: a.Paused}
}

// DescribeValidator turns a validator into its plain-JSON form.
func DescribeValidator(v *ledger.Validator) ValidatorResult {
	addr := ledger.CometBFTAddress(v.PubKey)
	return ValidatorResult{
		Address:   UpperHex(addr[:]),
		PubKey:    base64.StdEncoding.EncodeToString(v.PubKey),
		PubKeyHex: hex.EncodeToString(v.PubKey),
		Power:     Uint64(v.Power),
	}
}

// DescribeBalances turns balances into their plain-JSON form.
func DescribeBalances(bs []ledger.Balance) []BalanceResult {
	out := make([]BalanceResult, len(bs))
	for i, b := range bs {
		out[i] = BalanceResult{Asset: b.Asset, Amount: Uint64(b.Amount)}
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
