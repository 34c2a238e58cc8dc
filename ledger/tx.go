package ledger

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/fxamacker/cbor/v2"

	"github.com/tallyledger/tally/crypto"
)

// Limits on transaction shape, checked by ValidateBasic.
const (
	MaxTxBytes      = 4096
	MaxMemoBytes    = 256
	MaxReasonBytes  = 256
	MaxChainIDBytes = 50
)

// Tx is a signed transaction. Its canonical encoding is deterministic CBOR
// (RFC 8949 core deterministic encoding) of this struct; DecodeTx accepts
// exactly that encoding and nothing else, so every transaction has one byte
// string and one hash.
type Tx struct {
	Body      Body   `cbor:"1,keyasint"`
	PubKey    []byte `cbor:"2,keyasint"` // 33-byte compressed secp256k1 key of the sender
	Signature []byte `cbor:"3,keyasint"` // 64-byte r||s, low S, over SignBytes
}

// Body is the signed part of a transaction.
type Body struct {
	Nonce  uint64 `cbor:"1,keyasint"`           // must equal the sender's next nonce
	Expiry uint64 `cbor:"2,keyasint,omitempty"` // last height at which the tx may execute; 0 = never expires
	Msg    Msg    `cbor:"3,keyasint"`
	Memo   string `cbor:"4,keyasint,omitempty"`
}

// Msg is the action of a transaction: exactly one field is set. New
// transaction types are added as new fields with new keys; a key is never
// reused.
type Msg struct {
	Transfer *Transfer `cbor:"1,keyasint,omitempty"`
	Mint     *Mint     `cbor:"2,keyasint,omitempty"`
	Burn     *Burn     `cbor:"3,keyasint,omitempty"`
	Propose  *Propose  `cbor:"4,keyasint,omitempty"`
	Vote     *Vote     `cbor:"5,keyasint,omitempty"`
}

// Transfer moves Amount units of Asset from the sender to To.
type Transfer struct {
	To     crypto.Address `cbor:"1,keyasint"`
	Asset  string         `cbor:"2,keyasint"`
	Amount uint64         `cbor:"3,keyasint"`
}

// Mint creates Amount units of Asset in To's balance; only the asset's
// issuer may mint.
type Mint struct {
	To     crypto.Address `cbor:"1,keyasint"`
	Asset  string         `cbor:"2,keyasint"`
	Amount uint64         `cbor:"3,keyasint"`
}

// Burn destroys Amount units of Asset from the sender's balance; only the
// asset's issuer may burn.
type Burn struct {
	Asset  string `cbor:"1,keyasint"`
	Amount uint64 `cbor:"2,keyasint"`
}

// Propose opens a governance proposal; only admins may propose. The
// proposer's own approval counts. The proposal can pass up to and including
// height Expiry.
type Propose struct {
	Action Action `cbor:"1,keyasint"`
	Expiry uint64 `cbor:"2,keyasint"`
}

// Vote approves (Approve=true) or rejects a proposal; only admins may vote,
// once each.
type Vote struct {
	Proposal uint64 `cbor:"1,keyasint"`
	Approve  bool   `cbor:"2,keyasint"`
}

// Action is what a governance proposal does when it passes: exactly one
// field is set.
type Action struct {
	RegisterAccount   *RegisterAccount   `cbor:"1,keyasint,omitempty"`
	RemoveAccount     *AccountRef        `cbor:"2,keyasint,omitempty"`
	GrantRole         *RoleChange        `cbor:"3,keyasint,omitempty"`
	RevokeRole        *RoleChange        `cbor:"4,keyasint,omitempty"`
	Freeze            *Freeze            `cbor:"5,keyasint,omitempty"`
	Unfreeze          *AccountRef        `cbor:"6,keyasint,omitempty"`
	CreateAsset       *CreateAsset       `cbor:"7,keyasint,omitempty"`
	PauseAsset        *AssetRef          `cbor:"8,keyasint,omitempty"`
	UnpauseAsset      *AssetRef          `cbor:"9,keyasint,omitempty"`
	SetValidatorPower *SetValidatorPower `cbor:"10,keyasint,omitempty"`
	AllowNode         *NodeRef           `cbor:"11,keyasint,omitempty"`
	DenyNode          *NodeRef           `cbor:"12,keyasint,omitempty"`
	SetThreshold      *SetThreshold      `cbor:"13,keyasint,omitempty"`
}

// RegisterAccount registers Address with the given roles (at least member).
type RegisterAccount struct {
	Address crypto.Address `cbor:"1,keyasint"`
	Roles   []Role         `cbor:"2,keyasint,omitempty"`
}

// AccountRef names an account.
type AccountRef struct {
	Address crypto.Address `cbor:"1,keyasint"`
}

// RoleChange grants or revokes one role.
type RoleChange struct {
	Address crypto.Address `cbor:"1,keyasint"`
	Role    Role           `cbor:"2,keyasint"`
}

// Freeze stops an account from sending; Reason is recorded in state.
type Freeze struct {
	Address crypto.Address `cbor:"1,keyasint"`
	Reason  string         `cbor:"2,keyasint"`
}

// CreateAsset creates an asset with its issuer; the issuer gets the issuer
// role.
type CreateAsset struct {
	Symbol string         `cbor:"1,keyasint"`
	Issuer crypto.Address `cbor:"2,keyasint"`
}

// AssetRef names an asset.
type AssetRef struct {
	Symbol string `cbor:"1,keyasint"`
}

// SetValidatorPower sets the voting power of the validator with the given
// 32-byte ed25519 consensus public key; 0 removes it.
type SetValidatorPower struct {
	PubKey []byte `cbor:"1,keyasint"`
	Power  uint64 `cbor:"2,keyasint"`
}

// NodeRef names a CometBFT node by its 40-hex-digit ID.
type NodeRef struct {
	NodeID string `cbor:"1,keyasint"`
}

// SetThreshold sets how many admin approvals pass a proposal.
type SetThreshold struct {
	Threshold uint32 `cbor:"1,keyasint"`
}

// Role is an account role.
type Role string

// Roles.
const (
	RoleAdmin  Role = "admin"
	RoleIssuer Role = "issuer"
	RoleMember Role = "member"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleAdmin || r == RoleIssuer || r == RoleMember }

var (
	encMode cbor.EncMode
	// decMode decodes transactions, with tight limits on their shape.
	decMode cbor.DecMode
	// stateDecMode decodes state values. The ledger wrote them and its
	// rules bound their size (MaxAdmins bounds a proposal's votes), so the
	// transaction limits must never apply: a record that outgrew them would
	// become unreadable and halt every node.
	stateDecMode cbor.DecMode
)

func init() {
	var err error
	encMode, err = cbor.CoreDetEncOptions().EncMode()
	if err != nil {
		panic(err)
	}
	decMode, err = cbor.DecOptions{
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		IndefLength:       cbor.IndefLengthForbidden,
		TagsMd:            cbor.TagsForbidden,
		ExtraReturnErrors: cbor.ExtraDecErrorUnknownField,
		UTF8:              cbor.UTF8RejectInvalid,
		MaxNestedLevels:   16,
		MaxArrayElements:  64,
		MaxMapPairs:       64,
	}.DecMode()
	if err != nil {
		panic(err)
	}
	stateDecMode, err = cbor.DecOptions{
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		IndefLength:       cbor.IndefLengthForbidden,
		TagsMd:            cbor.TagsForbidden,
		ExtraReturnErrors: cbor.ExtraDecErrorUnknownField,
		UTF8:              cbor.UTF8RejectInvalid,
		MaxNestedLevels:   64,
		MaxArrayElements:  1 << 24,
		MaxMapPairs:       1 << 24,
	}.DecMode()
	if err != nil {
		panic(err)
	}
}

// Marshal encodes v in deterministic CBOR. It is used for every value the
// ledger stores or signs.
func Marshal(v any) ([]byte, error) { return encMode.Marshal(v) }

// Unmarshal decodes strict canonical CBOR into v: the bytes must be the
// exact deterministic encoding of the decoded value.
func Unmarshal(b []byte, v any) error { return unmarshalCanonical(decMode, b, v) }

// UnmarshalState decodes a state value (read from a proof or a raw query)
// strictly, like Unmarshal but without the transaction's size limits.
func UnmarshalState(b []byte, v any) error { return unmarshalCanonical(stateDecMode, b, v) }

func unmarshalCanonical(mode cbor.DecMode, b []byte, v any) error {
	if err := mode.Unmarshal(b, v); err != nil {
		return err
	}
	re, err := encMode.Marshal(v)
	if err != nil {
		return err
	}
	if !bytes.Equal(re, b) {
		return fmt.Errorf("non-canonical encoding (re-encodes to %d different bytes)", len(re))
	}
	return nil
}

// Encode returns the canonical bytes of tx.
func (tx *Tx) Encode() []byte {
	b, err := encMode.Marshal(tx)
	if err != nil {
		panic(fmt.Sprintf("encode tx: %v", err)) // only plain structs: cannot fail
	}
	return b
}

// DecodeTx decodes a transaction strictly: the bytes must be the canonical
// encoding of a Tx (no trailing bytes, unknown fields, duplicate keys,
// indefinite lengths, tags or non-minimal integers) and the result must pass
// ValidateBasic. It does not check the signature.
func DecodeTx(b []byte) (*Tx, error) {
	if len(b) == 0 {
		return nil, Errorf(CodeMalformed, "empty transaction")
	}
	if len(b) > MaxTxBytes {
		return nil, Errorf(CodeMalformed, "transaction is %d bytes, at most %d allowed", len(b), MaxTxBytes)
	}
	var tx Tx
	if err := Unmarshal(b, &tx); err != nil {
		return nil, Errorf(CodeMalformed, "cannot decode transaction: %v", err)
	}
	if err := tx.ValidateBasic(); err != nil {
		return nil, err
	}
	return &tx, nil
}

// signDomain separates Tally transaction signatures from any other use of
// the same key.
const signDomain = "tally/tx/v1"

// SignBytes returns the bytes a sender signs: the domain, the chain ID
// (length-prefixed) and the canonical encoding of the body. A signature for
// one chain never verifies on another.
func SignBytes(chainID string, body *Body) []byte {
	bb, err := encMode.Marshal(body)
	if err != nil {
		panic(fmt.Sprintf("encode tx body: %v", err))
	}
	out := make([]byte, 0, len(signDomain)+1+binary.MaxVarintLen64+len(chainID)+len(bb))
	out = append(out, signDomain...)
	out = append(out, 0)
	out = binary.AppendUvarint(out, uint64(len(chainID)))
	out = append(out, chainID...)
	return append(out, bb...)
}

// NewSignedTx signs body for chainID with key.
func NewSignedTx(chainID string, body Body, key *crypto.PrivKey) *Tx {
	pub := key.PubKey()
	sig := key.Sign(SignBytes(chainID, &body))
	return &Tx{Body: body, PubKey: pub[:], Signature: sig[:]}
}

// Sender returns the address of the signing key. Only meaningful after
// ValidateBasic.
func (tx *Tx) Sender() crypto.Address { return crypto.AddressFromPubKey(tx.PubKey) }

// VerifySignature checks the signature over SignBytes(chainID, body).
func (tx *Tx) VerifySignature(chainID string) error { return tx.verifySignature(chainID, nil) }

// verifySignature is VerifySignature with the sender's key parsed through
// keys (nil parses it every time); the outcome is the same either way.
func (tx *Tx) verifySignature(chainID string, keys *crypto.KeyCache) error {
	vk, err := keys.VerifyingKey(tx.PubKey)
	if err != nil {
		return Errorf(CodeBadSignature, "%v", err)
	}
	if err := vk.Verify(SignBytes(chainID, &tx.Body), tx.Signature); err != nil {
		return Errorf(CodeBadSignature, "%v (signed for another chain than %q, or altered)", err, chainID)
	}
	return nil
}

// TxHash is SHA-256 of the transaction bytes.
func TxHash(b []byte) [32]byte { return sha256.Sum256(b) }

// TxHashString is the hash in upper-case hex, as CometBFT shows it.
func TxHashString(b []byte) string {
	h := TxHash(b)
	return strings.ToUpper(hex.EncodeToString(h[:]))
}

// ValidateBasic checks everything that does not need state: field shapes,
// sizes, symbols, non-zero amounts, exactly one message and one action.
func (tx *Tx) ValidateBasic() error {
	if len(tx.PubKey) != crypto.PubKeySize {
		return Errorf(CodeMalformed, "public key is %d bytes, expected %d", len(tx.PubKey), crypto.PubKeySize)
	}
	if len(tx.Signature) != crypto.SignatureSize {
		return Errorf(CodeMalformed, "signature is %d bytes, expected %d", len(tx.Signature), crypto.SignatureSize)
	}
	return tx.Body.ValidateBasic()
}

// ValidateBasic checks the body without state.
func (b *Body) ValidateBasic() error {
	if len(b.Memo) > MaxMemoBytes {
		return Errorf(CodeMalformed, "memo is %d bytes, at most %d allowed", len(b.Memo), MaxMemoBytes)
	}
	return b.Msg.ValidateBasic()
}

// Type returns the message's name: transfer, mint, burn, propose or vote;
// "" when no field or more than one is set.
func (m *Msg) Type() string {
	n, name := 0, ""
	if m.Transfer != nil {
		n, name = n+1, "transfer"
	}
	if m.Mint != nil {
		n, name = n+1, "mint"
	}
	if m.Burn != nil {
		n, name = n+1, "burn"
	}
	if m.Propose != nil {
		n, name = n+1, "propose"
	}
	if m.Vote != nil {
		n, name = n+1, "vote"
	}
	if n != 1 {
		return ""
	}
	return name
}

// ValidateBasic checks the message without state.
func (m *Msg) ValidateBasic() error {
	switch m.Type() {
	case "transfer":
		return validateAmount(m.Transfer.Asset, m.Transfer.Amount)
	case "mint":
		return validateAmount(m.Mint.Asset, m.Mint.Amount)
	case "burn":
		return validateAmount(m.Burn.Asset, m.Burn.Amount)
	case "propose":
		if m.Propose.Expiry == 0 {
			return Errorf(CodeMalformed, "proposal expiry height is 0, expected a height")
		}
		return m.Propose.Action.ValidateBasic()
	case "vote":
		return nil
	default:
		return Errorf(CodeMalformed, "transaction must carry exactly one message")
	}
}

// Type returns the action's kebab-case name (as the CLI spells it), or ""
// when no field or more than one is set.
func (a *Action) Type() string {
	if k, _, ok := a.Kind(); ok {
		return k.name
	}
	return ""
}

// ValidateBasic checks the action without state: exactly one action, and
// each of its parameters (ActionField.validate).
func (a *Action) ValidateBasic() error {
	k, p, ok := a.Kind()
	if !ok {
		return Errorf(CodeMalformed, "proposal must carry exactly one action")
	}
	for _, f := range k.fields {
		if err := f.validate(&p); err != nil {
			return err
		}
	}
	return nil
}

// MaxValidatorPower bounds a single validator's power (CometBFT's limit on
// the total is MaxInt64/8; the app keeps every sum far below it).
const MaxValidatorPower = 1 << 40

// ValidateSymbol checks an asset symbol: 2 to 12 characters, upper-case
// letters and digits, starting with a letter.
func ValidateSymbol(s string) error {
	if len(s) < 2 || len(s) > 12 {
		return Errorf(CodeInvalidAmount, "asset symbol %q must be 2 to 12 characters", s)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z') && !(i > 0 && c >= '0' && c <= '9') {
			return Errorf(CodeInvalidAmount, "asset symbol %q must be upper-case letters and digits, starting with a letter", s)
		}
	}
	return nil
}

// ValidateNodeID checks a CometBFT node ID: 40 lower-case hex digits.
func ValidateNodeID(id string) error {
	if len(id) != 40 {
		return Errorf(CodeMalformed, "node ID %q is %d characters, expected 40 hex digits", id, len(id))
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= '0' && c <= '9') && !(c >= 'a' && c <= 'f') {
			return Errorf(CodeMalformed, "node ID %q must be lower-case hex", id)
		}
	}
	return nil
}

func validateAmount(asset string, amount uint64) error {
	if err := ValidateSymbol(asset); err != nil {
		return err
	}
	if amount == 0 {
		return Errorf(CodeInvalidAmount, "amount is 0, expected a positive amount")
	}
	return nil
}
