package ledger

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/tallyledger/tally/crypto"
	"github.com/tallyledger/tally/internal/fifocache"
)

// Typed reads and writes of the records in a Reader or an overlay. State
// values are decoded without the canonical re-encoding check that proven
// values get (DecodeAccount...): the ledger wrote them itself, and the app
// hash guards them.

// A state value that does not decode is a bug or a damaged database, never
// something a transaction can cause: the error wraps ErrCorruptState and
// the block fails loudly instead of executing on a guess.
func decodeState(b []byte, v any) error {
	if err := stateDecMode.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%w: decode state value %T: %v", ErrCorruptState, v, err)
	}
	return nil
}

// ErrCorruptState marks a stored state value the ledger cannot decode.
var ErrCorruptState = errors.New("ledger state is corrupt (a bug or a damaged database)")

func mustMarshal(v any) []byte {
	b, err := Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("ledger: encode %T: %v", v, err)) // plain structs only: cannot fail
	}
	return b
}

// getRecord reads key into v; it reports false when the key is absent.
func getRecord(r Reader, key []byte, v any) (bool, error) {
	b, err := r.Get(key)
	if err != nil {
		return false, err
	}
	if b == nil {
		return false, nil
	}
	return true, decodeState(b, v)
}

func getAccount(r Reader, a crypto.Address) (*Account, error) {
	var acct Account
	ok, err := getRecord(r, AccountKey(a), &acct)
	if !ok || err != nil {
		return nil, err
	}
	return &acct, nil
}

func getBalance(r Reader, a crypto.Address, asset string) (uint64, error) {
	b, err := r.Get(BalanceKey(a, asset))
	if err != nil || b == nil {
		return 0, err
	}
	return decodeUint(b)
}

// decodeUint decodes a state value that is an unsigned integer (a
// balance). The shortest CBOR forms, the only ones the ledger writes, are
// read directly; anything else goes through the decoder, so the answer is
// always the decoder's.
func decodeUint(b []byte) (uint64, error) {
	if v, ok := shortestCBORUint(b); ok {
		return v, nil
	}
	var v uint64
	return v, decodeState(b, &v)
}

// shortestCBORUint reads b if it is a CBOR unsigned integer (major type
// 0) in its shortest form and nothing else.
func shortestCBORUint(b []byte) (uint64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	switch h := b[0]; {
	case h <= 0x17:
		return uint64(h), len(b) == 1
	case h == 0x18 && len(b) == 2:
		return uint64(b[1]), b[1] > 0x17
	case h == 0x19 && len(b) == 3:
		v := uint64(binary.BigEndian.Uint16(b[1:]))
		return v, v > 0xff
	case h == 0x1a && len(b) == 5:
		v := uint64(binary.BigEndian.Uint32(b[1:]))
		return v, v > 0xffff
	case h == 0x1b && len(b) == 9:
		v := binary.BigEndian.Uint64(b[1:])
		return v, v > 0xffffffff
	}
	return 0, false
}

// decodedAssets keeps asset records decoded, by their encoding: every
// transfer reads its asset's record, and decoding is a pure function of
// the bytes, so a hit gives what decoding would. Supply changes make new
// encodings; the oldest go first.
var decodedAssets = fifocache.New[string, Asset](256)

func getAsset(r Reader, symbol string) (*Asset, error) {
	b, err := r.Get(AssetKey(symbol))
	if err != nil || b == nil {
		return nil, err
	}
	if a, ok := decodedAssets.Get(string(b)); ok {
		return &a, nil // a copy: Asset holds no slices
	}
	var asset Asset
	if err := decodeState(b, &asset); err != nil {
		return nil, err
	}
	decodedAssets.Add(string(b), asset)
	return &asset, nil
}

func getParams(r Reader) (Params, error) {
	var p Params
	ok, err := getRecord(r, ParamsKey(), &p)
	if err == nil && !ok {
		err = fmt.Errorf("state has no params record")
	}
	return p, err
}

func getProposal(r Reader, id uint64) (*Proposal, error) {
	var p Proposal
	ok, err := getRecord(r, ProposalKey(id), &p)
	if !ok || err != nil {
		return nil, err
	}
	return &p, nil
}

func getValidator(r Reader, pub []byte) (*Validator, error) {
	var v Validator
	ok, err := getRecord(r, ValidatorKey(pub), &v)
	if !ok || err != nil {
		return nil, err
	}
	return &v, nil
}

func getChainID(r Reader) (string, error) {
	var id string
	_, err := getRecord(r, ChainIDKey(), &id)
	return id, err
}

func getNextProposalID(r Reader) (uint64, error) {
	id := uint64(1)
	_, err := getRecord(r, NextProposalIDKey(), &id)
	return id, err
}

func nodeAllowed(r Reader, id string) (bool, error) {
	b, err := r.Get(NodeKey(id))
	return b != nil, err
}

func listValidators(r Reader) ([]Validator, error) {
	var out []Validator
	err := r.Iterate([]byte(PrefixValidator), func(_, value []byte) error {
		var v Validator
		if err := decodeState(value, &v); err != nil {
			return err
		}
		out = append(out, v)
		return nil
	})
	return out, err
}

func listBalances(r Reader, a crypto.Address) ([]Balance, error) {
	prefix := BalancePrefix(a)
	var out []Balance
	err := r.Iterate(prefix, func(key, value []byte) error {
		var amount uint64
		if err := decodeState(value, &amount); err != nil {
			return err
		}
		out = append(out, Balance{Asset: string(key[len(prefix):]), Amount: amount})
		return nil
	})
	return out, err
}

func listAdmins(r Reader) ([]crypto.Address, error) {
	var out []crypto.Address
	err := r.Iterate([]byte(PrefixAdmin), func(key, _ []byte) error {
		a, err := addressFromKey(key, PrefixAdmin)
		if err != nil {
			return err
		}
		out = append(out, a)
		return nil
	})
	return out, err
}

// present marks index entries and allowed nodes (values are never empty).
var present = []byte{0xf5} // CBOR true

// Writers on the block or transaction overlay.

func putAccount(o *overlay, acct *Account) {
	o.set(AccountKey(acct.Address), mustMarshal(acct))
	if acct.HasRole(RoleAdmin) {
		o.set(AdminKey(acct.Address), present)
	} else {
		o.del(AdminKey(acct.Address))
	}
}

func deleteAccount(o *overlay, a crypto.Address) {
	o.del(AccountKey(a))
	o.del(AdminKey(a))
}

// putBalance stores a balance (zero balances are deleted, so that every
// state has one representation) and keeps a's holdings, the set of assets
// it has a balance of, in step.
func putBalance(o *overlay, a crypto.Address, asset string, amount uint64) error {
	old, err := o.Get(BalanceKey(a, asset))
	if err != nil {
		return err
	}
	if amount == 0 {
		o.del(BalanceKey(a, asset))
	} else {
		o.set(BalanceKey(a, asset), mustMarshal(amount))
	}
	if (old == nil) == (amount == 0) {
		return nil // the set of assets held is unchanged
	}
	held, err := getHoldings(o, a)
	if err != nil {
		return err
	}
	i, found := slices.BinarySearch(held, asset)
	switch {
	case amount == 0 && found:
		held = slices.Delete(held, i, i+1)
	case amount != 0 && !found:
		held = slices.Insert(held, i, asset)
	default:
		return fmt.Errorf("holdings of %s disagree with its balance of %s", a, asset)
	}
	putHoldings(o, a, held)
	return nil
}

func getHoldings(r Reader, a crypto.Address) ([]string, error) {
	var held []string
	_, err := getRecord(r, HoldingsKey(a), &held)
	return held, err
}

// putHoldings stores the sorted symbols a holds; none deletes the key.
func putHoldings(o *overlay, a crypto.Address, held []string) {
	if len(held) == 0 {
		o.del(HoldingsKey(a))
		return
	}
	o.set(HoldingsKey(a), mustMarshal(held))
}

func putAsset(o *overlay, asset *Asset) { o.set(AssetKey(asset.Symbol), mustMarshal(asset)) }

func putParams(o *overlay, p Params) { o.set(ParamsKey(), mustMarshal(p)) }

func putValidator(o *overlay, v Validator) {
	if v.Power == 0 {
		o.del(ValidatorKey(v.PubKey))
		return
	}
	o.set(ValidatorKey(v.PubKey), mustMarshal(v))
}

func putProposal(o *overlay, p *Proposal) {
	o.set(ProposalKey(p.ID), mustMarshal(p))
	if p.Status == ProposalOpen {
		o.set(OpenProposalKey(p.Expiry, p.ID), present)
	} else {
		o.del(OpenProposalKey(p.Expiry, p.ID)) // a proposal's expiry never changes
	}
}

func putNode(o *overlay, id string, allowed bool) {
	if allowed {
		o.set(NodeKey(id), present)
	} else {
		o.del(NodeKey(id))
	}
}

// Metadata values.

func encodeHeight(h int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(h)) }

func decodeHeight(b []byte) (int64, error) {
	if len(b) != 8 {
		return 0, fmt.Errorf("stored height is %d bytes, expected 8", len(b))
	}
	return int64(binary.BigEndian.Uint64(b)), nil
}

// Decoders for values read from proofs or raw queries: they accept only the
// canonical encoding the ledger writes.

// DecodeAccount decodes an Account record value.
func DecodeAccount(b []byte) (*Account, error) {
	var a Account
	if err := UnmarshalState(b, &a); err != nil {
		return nil, fmt.Errorf("decode account: %w", err)
	}
	return &a, nil
}

// DecodeHoldings decodes a holdings value: the sorted symbols of the
// assets an account has a balance of.
func DecodeHoldings(b []byte) ([]string, error) {
	var held []string
	if err := UnmarshalState(b, &held); err != nil {
		return nil, fmt.Errorf("decode holdings: %w", err)
	}
	if !slices.IsSorted(held) || len(slices.Compact(slices.Clone(held))) != len(held) {
		return nil, fmt.Errorf("decode holdings: symbols not sorted and unique: %v", held)
	}
	return held, nil
}

// DecodeBalance decodes a balance value (the amount).
func DecodeBalance(b []byte) (uint64, error) {
	var n uint64
	if err := UnmarshalState(b, &n); err != nil {
		return 0, fmt.Errorf("decode balance: %w", err)
	}
	return n, nil
}

// DecodeAsset decodes an Asset record value.
func DecodeAsset(b []byte) (*Asset, error) {
	var a Asset
	if err := UnmarshalState(b, &a); err != nil {
		return nil, fmt.Errorf("decode asset: %w", err)
	}
	return &a, nil
}

// DecodeProposal decodes a Proposal record value.
func DecodeProposal(b []byte) (*Proposal, error) {
	var p Proposal
	if err := UnmarshalState(b, &p); err != nil {
		return nil, fmt.Errorf("decode proposal: %w", err)
	}
	return &p, nil
}

// DecodeValidator decodes a Validator record value.
func DecodeValidator(b []byte) (*Validator, error) {
	var v Validator
	if err := UnmarshalState(b, &v); err != nil {
		return nil, fmt.Errorf("decode validator: %w", err)
	}
	return &v, nil
}

// DecodeParams decodes the Params record value.
func DecodeParams(b []byte) (Params, error) {
	var p Params
	if err := UnmarshalState(b, &p); err != nil {
		return p, fmt.Errorf("decode params: %w", err)
	}
	return p, nil
}
