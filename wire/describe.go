package wire

import (
	"encoding/base64"
	"encoding/hex"
	"slices"
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

// DescribeTxRecord turns a transaction of the ledger's own index into its
// plain-JSON form, as DescribeResultTx does for CometBFT's.
func DescribeTxRecord(rec *ledger.TxRecord) TxResult {
	hash := rec.Hash()
	r := TxResult{
		Hash:   UpperHex(hash[:]),
		Height: Int64(int64(rec.Height)),
		Index:  rec.Index,
		Code:   uint32(rec.Code),
		Log:    rec.Log,
		Events: make([]EventResult, len(rec.Events)),
		Raw:    hex.EncodeToString(rec.Tx),
	}
	if rec.Code != ledger.CodeOK {
		r.Codespace = "tally"
	}
	for i, e := range rec.Events {
		attrs := make([]AttributeResult, len(e.Attributes))
		for j, a := range e.Attributes {
			attrs[j] = AttributeResult{Key: a.Key, Value: a.Value}
		}
		r.Events[i] = EventResult{Type: e.Type, Attributes: attrs}
	}
	tx, err := ledger.DecodeTx(rec.Tx)
	if err != nil {
		r.DecodeErr = err.Error()
	} else {
		r.Tx = DescribeTx(tx)
	}
	return r
}

// DescribeHistory turns a page of an account's history into its
// plain-JSON form.
func DescribeHistory(addr crypto.Address, page, perPage uint64, h *ledger.HistoryPage) *HistoryResult {
	out := &HistoryResult{
		Address:    addr.String(),
		TotalCount: Int64(int64(h.Total)),
		Page:       Int64(int64(page)),
		PerPage:    Int64(int64(perPage)),
		Txs:        make([]TxResult, len(h.Txs)),
	}
	for i := range h.Txs {
		out.Txs[i] = DescribeTxRecord(&h.Txs[i])
	}
	return out
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

// DescribeAction turns a governance action into its plain-JSON form: the
// numbers as strings and the validator key also in hex.
func DescribeAction(a *ledger.Action) ActionResult {
	out := actionOf[Uint64](*a)
	if kind, p, ok := a.Kind(); ok && slices.Contains(kind.Fields(), ledger.FieldPubKey) {
		out.PubKeyHex = hex.EncodeToString(p.PubKey)
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
		ExecutedHeight: new(Uint64(p.ExecutedHeight)),
		ClosedHeight:   new(Uint64(p.ClosedHeight)),
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
