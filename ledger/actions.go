package ledger

import (
	"encoding/hex"
	"slices"
	"strings"

	"github.com/tallyledger/tally/crypto"
)

// The table of governance actions. Everything that knows an action by name
// derives from it: Action.Type and ValidateBasic, the execution of a passed
// proposal and its event, and outside the ledger the wallet's readable
// form, the API's JSON form and the CLI's `gov propose` arguments.
//
// Adding an action: a field in Action (tx.go, with a new CBOR key), one
// entry in actionKinds, the function that applies it (governance.go), and
// its tests. A new kind of parameter also needs an ActionField, its rule in
// ActionField.validate and its form in the wallet and the CLI.

// ActionField is one parameter of a governance action.
type ActionField int

// The parameters governance actions carry.
const (
	FieldAddress   ActionField = iota + 1 // the account acted on
	FieldRoles                            // roles of a new account
	FieldRole                             // one role
	FieldReason                           // why an account is frozen
	FieldSymbol                           // an asset symbol
	FieldIssuer                           // the issuer of a new asset
	FieldPubKey                           // a validator's 32-byte ed25519 key
	FieldPower                            // a validator's voting power (0 removes it)
	FieldNodeID                           // a CometBFT node ID
	FieldThreshold                        // the admin approval threshold
)

var fieldNames = [...]string{
	FieldAddress: "address", FieldRoles: "roles", FieldRole: "role", FieldReason: "reason",
	FieldSymbol: "symbol", FieldIssuer: "issuer", FieldPubKey: "pub_key", FieldPower: "power",
	FieldNodeID: "node_id", FieldThreshold: "threshold",
}

// String returns the field's name in the JSON forms of an action
// ("address", "pub_key"...).
func (f ActionField) String() string {
	if f > 0 && int(f) < len(fieldNames) {
		return fieldNames[f]
	}
	return "field_" + u64(uint64(f))
}

// ActionParams holds the parameters of any action; an action uses only the
// fields its kind lists (ActionKind.Fields).
type ActionParams struct {
	Address   crypto.Address
	Roles     []Role
	Role      Role
	Reason    string
	Symbol    string
	Issuer    crypto.Address
	PubKey    []byte
	Power     uint64
	NodeID    string
	Threshold uint32
}

// ActionKind is one governance action: its name, its parameters, where it
// lives in an Action and how it executes.
type ActionKind struct {
	name   string
	fields []ActionField
	// get returns the action's parameters if the action is of this kind.
	get func(a *Action) (ActionParams, bool)
	// set makes a of this kind with the parameters p.
	set func(a *Action, p ActionParams)
	// apply executes the action; it returns an *Error for a rejection.
	apply func(c *txContext, p ActionParams) error
}

// Name is the action's kebab-case name, as the CLI and the JSON forms
// spell it.
func (k *ActionKind) Name() string { return k.name }

// Fields lists the action's parameters in order: the first is the target
// named in the action's governance event.
func (k *ActionKind) Fields() []ActionField { return slices.Clone(k.fields) }

// New returns an action of this kind with the parameters p (fields the
// kind does not list are ignored). It does not validate: see
// Action.ValidateBasic.
func (k *ActionKind) New(p ActionParams) Action {
	var a Action
	k.set(&a, p)
	return a
}

var actionKinds = []*ActionKind{
	{
		name: "register-account", fields: []ActionField{FieldAddress, FieldRoles},
		get: func(a *Action) (ActionParams, bool) { return paramsOf(a.RegisterAccount, registerParams) },
		set: func(a *Action, p ActionParams) {
			a.RegisterAccount = &RegisterAccount{Address: p.Address, Roles: p.Roles}
		},
		apply: func(c *txContext, p ActionParams) error { return registerAccount(c, p.Address, p.Roles) },
	},
	{
		name: "remove-account", fields: []ActionField{FieldAddress},
		get:   func(a *Action) (ActionParams, bool) { return paramsOf(a.RemoveAccount, accountRefParams) },
		set:   func(a *Action, p ActionParams) { a.RemoveAccount = &AccountRef{Address: p.Address} },
		apply: func(c *txContext, p ActionParams) error { return removeAccount(c, p.Address) },
	},
	{
		name: "grant-role", fields: []ActionField{FieldAddress, FieldRole},
		get:   func(a *Action) (ActionParams, bool) { return paramsOf(a.GrantRole, roleChangeParams) },
		set:   func(a *Action, p ActionParams) { a.GrantRole = &RoleChange{Address: p.Address, Role: p.Role} },
		apply: func(c *txContext, p ActionParams) error { return grantRole(c, p.Address, p.Role) },
	},
	{
		name: "revoke-role", fields: []ActionField{FieldAddress, FieldRole},
		get:   func(a *Action) (ActionParams, bool) { return paramsOf(a.RevokeRole, roleChangeParams) },
		set:   func(a *Action, p ActionParams) { a.RevokeRole = &RoleChange{Address: p.Address, Role: p.Role} },
		apply: func(c *txContext, p ActionParams) error { return revokeRole(c, p.Address, p.Role) },
	},
	{
		name: "freeze", fields: []ActionField{FieldAddress, FieldReason},
		get:   func(a *Action) (ActionParams, bool) { return paramsOf(a.Freeze, freezeParams) },
		set:   func(a *Action, p ActionParams) { a.Freeze = &Freeze{Address: p.Address, Reason: p.Reason} },
		apply: func(c *txContext, p ActionParams) error { return setFrozen(c, p.Address, true, p.Reason) },
	},
	{
		name: "unfreeze", fields: []ActionField{FieldAddress},
		get:   func(a *Action) (ActionParams, bool) { return paramsOf(a.Unfreeze, accountRefParams) },
		set:   func(a *Action, p ActionParams) { a.Unfreeze = &AccountRef{Address: p.Address} },
		apply: func(c *txContext, p ActionParams) error { return setFrozen(c, p.Address, false, "") },
	},
	{
		name: "create-asset", fields: []ActionField{FieldSymbol, FieldIssuer},
		get:   func(a *Action) (ActionParams, bool) { return paramsOf(a.CreateAsset, createAssetParams) },
		set:   func(a *Action, p ActionParams) { a.CreateAsset = &CreateAsset{Symbol: p.Symbol, Issuer: p.Issuer} },
		apply: func(c *txContext, p ActionParams) error { return createAsset(c, p.Symbol, p.Issuer) },
	},
	{
		name: "pause-asset", fields: []ActionField{FieldSymbol},
		get:   func(a *Action) (ActionParams, bool) { return paramsOf(a.PauseAsset, assetRefParams) },
		set:   func(a *Action, p ActionParams) { a.PauseAsset = &AssetRef{Symbol: p.Symbol} },
		apply: func(c *txContext, p ActionParams) error { return setPaused(c, p.Symbol, true) },
	},
	{
		name: "unpause-asset", fields: []ActionField{FieldSymbol},
		get:   func(a *Action) (ActionParams, bool) { return paramsOf(a.UnpauseAsset, assetRefParams) },
		set:   func(a *Action, p ActionParams) { a.UnpauseAsset = &AssetRef{Symbol: p.Symbol} },
		apply: func(c *txContext, p ActionParams) error { return setPaused(c, p.Symbol, false) },
	},
	{
		name: "set-validator-power", fields: []ActionField{FieldPubKey, FieldPower},
		get: func(a *Action) (ActionParams, bool) { return paramsOf(a.SetValidatorPower, validatorPowerParams) },
		set: func(a *Action, p ActionParams) {
			a.SetValidatorPower = &SetValidatorPower{PubKey: p.PubKey, Power: p.Power}
		},
		apply: func(c *txContext, p ActionParams) error { return setValidatorPower(c, p.PubKey, p.Power) },
	},
	{
		name: "allow-node", fields: []ActionField{FieldNodeID},
		get:   func(a *Action) (ActionParams, bool) { return paramsOf(a.AllowNode, nodeRefParams) },
		set:   func(a *Action, p ActionParams) { a.AllowNode = &NodeRef{NodeID: p.NodeID} },
		apply: func(c *txContext, p ActionParams) error { return setNodeAllowed(c, p.NodeID, true) },
	},
	{
		name: "deny-node", fields: []ActionField{FieldNodeID},
		get:   func(a *Action) (ActionParams, bool) { return paramsOf(a.DenyNode, nodeRefParams) },
		set:   func(a *Action, p ActionParams) { a.DenyNode = &NodeRef{NodeID: p.NodeID} },
		apply: func(c *txContext, p ActionParams) error { return setNodeAllowed(c, p.NodeID, false) },
	},
	{
		name: "set-threshold", fields: []ActionField{FieldThreshold},
		get:   func(a *Action) (ActionParams, bool) { return paramsOf(a.SetThreshold, thresholdParams) },
		set:   func(a *Action, p ActionParams) { a.SetThreshold = &SetThreshold{Threshold: p.Threshold} },
		apply: func(c *txContext, p ActionParams) error { return setThreshold(c, p.Threshold) },
	},
}

// paramsOf returns the parameters f reads from x, if x is set.
func paramsOf[T any](x *T, f func(*T) ActionParams) (ActionParams, bool) {
	if x == nil {
		return ActionParams{}, false
	}
	return f(x), true
}

// The parameters of each action struct.

func registerParams(x *RegisterAccount) ActionParams {
	return ActionParams{Address: x.Address, Roles: x.Roles}
}
func freezeParams(x *Freeze) ActionParams { return ActionParams{Address: x.Address, Reason: x.Reason} }
func createAssetParams(x *CreateAsset) ActionParams {
	return ActionParams{Symbol: x.Symbol, Issuer: x.Issuer}
}
func validatorPowerParams(x *SetValidatorPower) ActionParams {
	return ActionParams{PubKey: x.PubKey, Power: x.Power}
}
func thresholdParams(x *SetThreshold) ActionParams { return ActionParams{Threshold: x.Threshold} }
func accountRefParams(x *AccountRef) ActionParams  { return ActionParams{Address: x.Address} }
func roleChangeParams(x *RoleChange) ActionParams {
	return ActionParams{Address: x.Address, Role: x.Role}
}
func assetRefParams(x *AssetRef) ActionParams { return ActionParams{Symbol: x.Symbol} }
func nodeRefParams(x *NodeRef) ActionParams   { return ActionParams{NodeID: x.NodeID} }

// ActionKinds lists every governance action, in a fixed order.
func ActionKinds() []*ActionKind { return slices.Clone(actionKinds) }

// ActionNames lists the names of every governance action, in the order of
// ActionKinds.
func ActionNames() []string {
	names := make([]string, len(actionKinds))
	for i, k := range actionKinds {
		names[i] = k.name
	}
	return names
}

// LookupAction returns the action kind with the given name.
func LookupAction(name string) (*ActionKind, bool) {
	for _, k := range actionKinds {
		if k.name == name {
			return k, true
		}
	}
	return nil, false
}

// Kind returns the action's kind and parameters; ok is false when no field
// or more than one is set.
func (a *Action) Kind() (kind *ActionKind, p ActionParams, ok bool) {
	for _, k := range actionKinds {
		if q, set := k.get(a); set {
			if kind != nil {
				return nil, ActionParams{}, false
			}
			kind, p = k, q
		}
	}
	return kind, p, kind != nil
}

// validate checks the field's value in p without state.
func (f ActionField) validate(p *ActionParams) error {
	switch f {
	case FieldRoles:
		for _, r := range p.Roles {
			if !r.Valid() {
				return Errorf(CodeMalformed, "unknown role %q, expected admin, issuer or member", r)
			}
		}
	case FieldRole:
		if !p.Role.Valid() {
			return Errorf(CodeMalformed, "unknown role %q, expected admin, issuer or member", p.Role)
		}
	case FieldReason:
		if len(p.Reason) > MaxReasonBytes {
			return Errorf(CodeMalformed, "freeze reason is %d bytes, at most %d allowed", len(p.Reason), MaxReasonBytes)
		}
	case FieldSymbol:
		return ValidateSymbol(p.Symbol)
	case FieldPubKey:
		if len(p.PubKey) != 32 {
			return Errorf(CodeMalformed, "validator public key is %d bytes, expected 32 (ed25519)", len(p.PubKey))
		}
	case FieldPower:
		if p.Power > MaxValidatorPower {
			return Errorf(CodeMalformed, "validator power %d above the maximum %d", p.Power, uint64(MaxValidatorPower))
		}
	case FieldNodeID:
		return ValidateNodeID(p.NodeID)
	case FieldThreshold:
		if p.Threshold == 0 {
			return Errorf(CodeMalformed, "threshold 0, expected at least 1")
		}
	}
	return nil
}

// text is the field's value in p as the governance event shows it.
func (f ActionField) text(p *ActionParams) string {
	switch f {
	case FieldAddress:
		return p.Address.String()
	case FieldRoles:
		roles := make([]string, len(p.Roles))
		for i, r := range p.Roles {
			roles[i] = string(r)
		}
		return strings.Join(roles, ",")
	case FieldRole:
		return string(p.Role)
	case FieldReason:
		return p.Reason
	case FieldSymbol:
		return p.Symbol
	case FieldIssuer:
		return p.Issuer.String()
	case FieldPubKey:
		return hex.EncodeToString(p.PubKey)
	case FieldPower:
		return u64(p.Power)
	case FieldNodeID:
		return p.NodeID
	case FieldThreshold:
		return u64(uint64(p.Threshold))
	}
	return ""
}

// account returns the account the field names, if it names one.
func (f ActionField) account(p *ActionParams) (crypto.Address, bool) {
	switch f {
	case FieldAddress:
		return p.Address, true
	case FieldIssuer:
		return p.Issuer, true
	}
	return crypto.Address{}, false
}
