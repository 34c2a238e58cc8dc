package wire

import (
	"encoding/base64"

	"github.com/tallyledger/tally/ledger"
)

// Number is how a JSON form of the governance types writes its numbers:
// uint64 as JSON numbers (the wallet's readable forms: transaction files,
// `--output json`) or Uint64 as decimal strings (the API's results).
type Number interface{ uint64 | Uint64 }

// Action is a governance action in JSON: its name as the CLI spells it
// and the parameters its kind lists in the ledger's table of actions, the
// other fields left out. ActionView and ActionResult are its two forms.
type Action[N Number] struct {
	Type      string   `json:"type"` // register-account, freeze, allow-node...
	Address   string   `json:"address,omitempty"`
	Roles     []string `json:"roles,omitempty"`
	Role      string   `json:"role,omitempty"`
	Reason    string   `json:"reason,omitempty"`
	Symbol    string   `json:"symbol,omitempty"`
	Issuer    string   `json:"issuer,omitempty"`
	PubKey    string   `json:"pub_key,omitempty"`     // ed25519, base64
	PubKeyHex string   `json:"pub_key_hex,omitempty"` // the same key in hex: API results only
	Power     *N       `json:"power,omitempty"`       // set for the actions that take one, 0 included
	NodeID    string   `json:"node_id,omitempty"`
	Threshold N        `json:"threshold,omitempty"`
}

// ActionView is the wallet's readable form of a governance action
// (Action), numbers as JSON numbers; it converts back into the ledger's
// action (BodyView.Body).
type ActionView = Action[uint64]

// actionOf returns the JSON form of a: its name and the parameters its kind
// lists in the ledger's table of actions (the validator key in base64 only).
func actionOf[N Number](a ledger.Action) Action[N] {
	v := Action[N]{Type: a.Type()}
	kind, p, ok := a.Kind()
	if !ok {
		return v
	}
	for _, f := range kind.Fields() {
		switch f {
		case ledger.FieldAddress:
			v.Address = p.Address.String()
		case ledger.FieldRoles:
			for _, r := range p.Roles {
				v.Roles = append(v.Roles, string(r))
			}
		case ledger.FieldRole:
			v.Role = string(p.Role)
		case ledger.FieldReason:
			v.Reason = p.Reason
		case ledger.FieldSymbol:
			v.Symbol = p.Symbol
		case ledger.FieldIssuer:
			v.Issuer = p.Issuer.String()
		case ledger.FieldPubKey:
			v.PubKey = base64.StdEncoding.EncodeToString(p.PubKey)
		case ledger.FieldPower:
			power := N(p.Power)
			v.Power = &power
		case ledger.FieldNodeID:
			v.NodeID = p.NodeID
		case ledger.FieldThreshold:
			v.Threshold = N(p.Threshold)
		}
	}
	return v
}

// Proposal is a governance proposal in JSON. ProposalResult (the API's)
// and ProposalView (the wallet's) are its two forms.
type Proposal[N Number] struct {
	ID         N         `json:"id"`
	Proposer   string    `json:"proposer"`
	Action     Action[N] `json:"action"`
	Expiry     N         `json:"expiry"`
	Status     string    `json:"status"` // open, executed, rejected, expired
	Approvals  []string  `json:"approvals"`
	Rejections []string  `json:"rejections"`
	// Heights at which the proposal was created, executed and closed
	// (executed, rejected or expired). The API writes every one, "0" while
	// not reached; the wallet's view leaves those out (nil).
	CreatedHeight  N  `json:"created_height"`
	ExecutedHeight *N `json:"executed_height,omitempty"`
	ClosedHeight   *N `json:"closed_height,omitempty"`
}

// ProposalView is the wallet's readable form of a proposal (Proposal), as
// `tally gov show` and `gov list` print it: numbers as JSON numbers,
// heights not reached left out.
type ProposalView = Proposal[uint64]

// ViewProposal returns the wallet's form of a proposal the API returned.
func ViewProposal(r ProposalResult) ProposalView {
	a := r.Action
	v := ProposalView{
		ID: uint64(r.ID), Proposer: r.Proposer, Expiry: uint64(r.Expiry), Status: r.Status,
		Approvals: append([]string{}, r.Approvals...), Rejections: append([]string{}, r.Rejections...),
		CreatedHeight: uint64(r.CreatedHeight), ExecutedHeight: reached(r.ExecutedHeight), ClosedHeight: reached(r.ClosedHeight),
		Action: ActionView{Type: a.Type, Address: a.Address, Roles: a.Roles, Role: a.Role, Reason: a.Reason,
			Symbol: a.Symbol, Issuer: a.Issuer, PubKey: a.PubKey, NodeID: a.NodeID, Threshold: uint64(a.Threshold)},
	}
	if a.Power != nil {
		power := uint64(*a.Power)
		v.Action.Power = &power
	}
	return v
}

// reached is a height of the API's form in the view's: nil when not
// reached (absent or 0).
func reached(h *Uint64) *uint64 {
	if h == nil || *h == 0 {
		return nil
	}
	n := uint64(*h)
	return &n
}
