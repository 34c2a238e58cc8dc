package wire

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/tallyledger/tally/crypto"
	"github.com/tallyledger/tally/ledger"
)

// BodyView is the readable JSON form of a transaction body. It converts
// both ways without loss (ViewBody, BodyView.Body), so an unsigned
// transaction file can be read and edited by a person before it is signed.
// Nonce is nil while it is not yet known (a transaction generated offline).
type BodyView struct {
	Nonce  *uint64 `json:"nonce"`
	Expiry uint64  `json:"expiry_height,omitempty"`
	Memo   string  `json:"memo,omitempty"`
	Msg    MsgView `json:"msg"`
}

// MsgView is the readable form of a message; Type says which fields apply:
// transfer and mint (to, asset, amount), burn (asset, amount), propose
// (action, expiry_height), vote (proposal, approve).
type MsgView struct {
	Type     string      `json:"type"`
	To       string      `json:"to,omitempty"`
	Asset    string      `json:"asset,omitempty"`
	Amount   string      `json:"amount,omitempty"`
	Action   *ActionView `json:"action,omitempty"`
	Expiry   uint64      `json:"expiry_height,omitempty"`
	Proposal uint64      `json:"proposal,omitempty"`
	Approve  *bool       `json:"approve,omitempty"`
}

// ViewBody returns the readable form of b.
func ViewBody(b ledger.Body) BodyView {
	n := b.Nonce
	return BodyView{Nonce: &n, Expiry: b.Expiry, Memo: b.Memo, Msg: viewMsg(b.Msg)}
}

func viewMsg(m ledger.Msg) MsgView {
	v := MsgView{Type: m.Type()}
	switch v.Type {
	case "transfer":
		v.To, v.Asset, v.Amount = m.Transfer.To.String(), m.Transfer.Asset, strconv.FormatUint(m.Transfer.Amount, 10)
	case "mint":
		v.To, v.Asset, v.Amount = m.Mint.To.String(), m.Mint.Asset, strconv.FormatUint(m.Mint.Amount, 10)
	case "burn":
		v.Asset, v.Amount = m.Burn.Asset, strconv.FormatUint(m.Burn.Amount, 10)
	case "propose":
		a := viewAction(m.Propose.Action)
		v.Action, v.Expiry = &a, m.Propose.Expiry
	case "vote":
		approve := m.Vote.Approve
		v.Proposal, v.Approve = m.Vote.Proposal, &approve
	}
	return v
}

func viewAction(a ledger.Action) ActionView { return actionOf[uint64](a) }

// Body converts the readable form back into a ledger body. A nil nonce
// becomes 0; callers that need a real nonce check v.Nonce first.
func (v BodyView) Body() (ledger.Body, error) {
	m, err := v.Msg.msg()
	if err != nil {
		return ledger.Body{}, err
	}
	b := ledger.Body{Expiry: v.Expiry, Memo: v.Memo, Msg: m}
	if v.Nonce != nil {
		b.Nonce = *v.Nonce
	}
	return b, nil
}

func (v MsgView) msg() (ledger.Msg, error) {
	var m ledger.Msg
	switch v.Type {
	case "transfer", "mint":
		to, err := crypto.ParseAddress(v.To)
		if err != nil {
			return m, fmt.Errorf("msg.to: %w", err)
		}
		amount, err := parseAmountField(v.Amount)
		if err != nil {
			return m, err
		}
		if v.Type == "transfer" {
			m.Transfer = &ledger.Transfer{To: to, Asset: v.Asset, Amount: amount}
		} else {
			m.Mint = &ledger.Mint{To: to, Asset: v.Asset, Amount: amount}
		}
	case "burn":
		amount, err := parseAmountField(v.Amount)
		if err != nil {
			return m, err
		}
		m.Burn = &ledger.Burn{Asset: v.Asset, Amount: amount}
	case "propose":
		if v.Action == nil {
			return m, fmt.Errorf("msg.action missing for a propose message")
		}
		a, err := v.Action.action()
		if err != nil {
			return m, err
		}
		m.Propose = &ledger.Propose{Action: a, Expiry: v.Expiry}
	case "vote":
		if v.Approve == nil {
			return m, fmt.Errorf("msg.approve missing for a vote message, expected true or false")
		}
		m.Vote = &ledger.Vote{Proposal: v.Proposal, Approve: *v.Approve}
	default:
		return m, fmt.Errorf("msg.type %q unknown, expected transfer, mint, burn, propose or vote", v.Type)
	}
	return m, nil
}

func parseAmountField(s string) (uint64, error) {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("msg.amount %q: expected a decimal integer below 2^64", s)
	}
	return n, nil
}

// action converts the readable form back: the parameters its kind lists in
// the ledger's table of actions are read, the other fields ignored.
func (v Action[N]) action() (ledger.Action, error) {
	if v.PubKeyHex != "" {
		return ledger.Action{}, fmt.Errorf("action.pub_key_hex: not read from a transaction; give the key as pub_key")
	}
	kind, ok := ledger.LookupAction(v.Type)
	if !ok {
		return ledger.Action{}, fmt.Errorf("action.type %q unknown, expected one of %s", v.Type, strings.Join(ledger.ActionNames(), ", "))
	}
	var p ledger.ActionParams
	for _, f := range kind.Fields() {
		var err error
		switch f {
		case ledger.FieldAddress:
			p.Address, err = crypto.ParseAddress(v.Address)
		case ledger.FieldRoles:
			for _, r := range v.Roles {
				p.Roles = append(p.Roles, ledger.Role(r))
			}
		case ledger.FieldRole:
			p.Role = ledger.Role(v.Role)
		case ledger.FieldReason:
			p.Reason = v.Reason
		case ledger.FieldSymbol:
			p.Symbol = v.Symbol
		case ledger.FieldIssuer:
			p.Issuer, err = crypto.ParseAddress(v.Issuer)
		case ledger.FieldPubKey:
			p.PubKey, err = ParseValidatorPubKey(v.PubKey)
		case ledger.FieldPower:
			if v.Power == nil {
				return ledger.Action{}, fmt.Errorf("action.power missing, expected a number (0 removes the validator)")
			}
			p.Power = uint64(*v.Power)
		case ledger.FieldNodeID:
			p.NodeID = v.NodeID
		case ledger.FieldThreshold:
			if uint64(v.Threshold) > math.MaxUint32 {
				return ledger.Action{}, fmt.Errorf("action.threshold %d: expected a number below 2^32", v.Threshold)
			}
			p.Threshold = uint32(v.Threshold)
		}
		if err != nil {
			return ledger.Action{}, fmt.Errorf("action.%s: %w", f, err)
		}
	}
	return kind.New(p), nil
}

// ed25519KeyType is CometBFT's JSON type name of an ed25519 public key.
const ed25519KeyType = "tendermint/PubKeyEd25519"

// ParseValidatorPubKey reads a 32-byte ed25519 consensus public key given
// as the JSON that `tallyd show-validator` prints ({"address":...,
// "pub_key":{"type":"tendermint/PubKeyEd25519","value":"<base64>"}}), as
// CometBFT's public key JSON alone, or as the key in base64 (as CometBFT's
// JSON shows it) or in hex (64 digits).
func ParseValidatorPubKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "{") {
		return parseValidatorKeyJSON(s)
	}
	if len(s) == 64 {
		if b, err := hex.DecodeString(s); err == nil {
			return b, nil
		}
	}
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		if len(b) != 32 {
			return nil, fmt.Errorf("validator public key %q is %d bytes, expected 32 (ed25519)", s, len(b))
		}
		return b, nil
	}
	return nil, fmt.Errorf("validator public key %q: expected the output of tallyd show-validator, or a 32-byte ed25519 key in base64 or 64 hex digits", s)
}

func parseValidatorKeyJSON(s string) ([]byte, error) {
	type keyJSON struct {
		Type  string `json:"type"`
		Value string `json:"value"`
	}
	var shown struct {
		PubKey *keyJSON `json:"pub_key"`
		keyJSON
	}
	if err := json.Unmarshal([]byte(s), &shown); err != nil {
		return nil, fmt.Errorf("validator key JSON: %v; expected the output of tallyd show-validator", err)
	}
	k := shown.keyJSON
	if shown.PubKey != nil {
		k = *shown.PubKey
	}
	if k.Type == "" && k.Value == "" {
		return nil, errors.New("validator key JSON has no pub_key; expected the output of tallyd show-validator")
	}
	if k.Type != ed25519KeyType {
		return nil, fmt.Errorf("validator key type %q, expected %s", k.Type, ed25519KeyType)
	}
	b, err := base64.StdEncoding.DecodeString(k.Value)
	if err != nil || len(b) != 32 {
		return nil, fmt.Errorf("validator key value %q: expected a 32-byte ed25519 key in base64", k.Value)
	}
	return b, nil
}
