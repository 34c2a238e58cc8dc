package ledger

import (
	"bytes"
	"errors"
	"fmt"
	"sync"

	ics23 "github.com/cosmos/ics23/go"

	"github.com/tallyledger/tally/crypto"
	"github.com/tallyledger/tally/ledger/smt"
)

// View is a read-only view of the state committed at one height: a store
// snapshot and the matching tree snapshot. It never changes, whatever the
// ledger commits meanwhile, and is safe for concurrent use.
type View struct {
	height  int64
	appHash []byte
	chainID string
	snap    Snapshot
	// proveMu serializes proofs on the tree snapshot: smt's Root (called by
	// every proof) updates bookkeeping fields of the tree it is called on.
	proveMu sync.Mutex
	tree    *smt.Tree
}

// Height returns the committed height the view shows (0 before the first
// block).
func (v *View) Height() int64 { return v.height }

// AppHash returns the app hash of the view's state (nil before the first
// block).
func (v *View) AppHash() []byte { return bytes.Clone(v.appHash) }

// ChainID returns the chain ID ("" before the first block).
func (v *View) ChainID() string { return v.chainID }

// Get returns the raw value of a state key, nil if absent.
func (v *View) Get(key []byte) ([]byte, error) {
	if !IsStateKey(key) {
		return nil, fmt.Errorf("key %q is not a state key (state keys start with %q)", key, StatePrefix)
	}
	return v.snap.Get(key)
}

// Entries returns the number of state keys (the leaves of the state tree).
func (v *View) Entries() int { return v.tree.Len() }

// CountAccounts returns the number of registered accounts. It reads every
// account key: O(accounts).
func (v *View) CountAccounts() (int, error) { return countPrefix(v.snap, PrefixAccount) }

// CountOpenProposals returns the number of open proposals.
func (v *View) CountOpenProposals() (int, error) { return countPrefix(v.snap, PrefixOpenProposal) }

func countPrefix(r Reader, prefix string) (int, error) {
	n := 0
	err := r.Iterate([]byte(prefix), func(_, _ []byte) error {
		n++
		return nil
	})
	return n, err
}

// Account returns the account at a, or nil, nil if it is not registered.
func (v *View) Account(a crypto.Address) (*Account, error) { return getAccount(v.snap, a) }

// Accounts returns every registered account, sorted by address.
func (v *View) Accounts() ([]Account, error) {
	var out []Account
	err := v.snap.Iterate([]byte(PrefixAccount), func(_, value []byte) error {
		var a Account
		if err := decodeState(value, &a); err != nil {
			return err
		}
		out = append(out, a)
		return nil
	})
	return out, err
}

// Balances returns a's non-zero balances, sorted by asset.
func (v *View) Balances(a crypto.Address) ([]Balance, error) { return listBalances(v.snap, a) }

// Balance returns a's balance of asset (0 if none).
func (v *View) Balance(a crypto.Address, asset string) (uint64, error) {
	return getBalance(v.snap, a, asset)
}

// Asset returns the asset with the given symbol, or nil, nil.
func (v *View) Asset(symbol string) (*Asset, error) { return getAsset(v.snap, symbol) }

// Assets returns every asset, sorted by symbol.
func (v *View) Assets() ([]Asset, error) {
	var out []Asset
	err := v.snap.Iterate([]byte(PrefixAsset), func(_, value []byte) error {
		var a Asset
		if err := decodeState(value, &a); err != nil {
			return err
		}
		out = append(out, a)
		return nil
	})
	return out, err
}

// Proposal returns proposal id, or nil, nil.
func (v *View) Proposal(id uint64) (*Proposal, error) { return getProposal(v.snap, id) }

// Proposals returns every proposal, by ID.
func (v *View) Proposals() ([]Proposal, error) {
	var out []Proposal
	err := v.snap.Iterate([]byte(PrefixProposal), func(_, value []byte) error {
		var p Proposal
		if err := decodeState(value, &p); err != nil {
			return err
		}
		out = append(out, p)
		return nil
	})
	return out, err
}

// Params returns the chain parameters.
func (v *View) Params() (Params, error) {
	if v.height == 0 {
		return Params{}, errors.New("no committed state yet")
	}
	return getParams(v.snap)
}

// Validators returns the validator set, sorted by public key.
func (v *View) Validators() ([]Validator, error) { return listValidators(v.snap) }

// AllowedNodes returns the node IDs allowed to connect, sorted.
func (v *View) AllowedNodes() ([]string, error) {
	var out []string
	err := v.snap.Iterate([]byte(PrefixNode), func(key, _ []byte) error {
		out = append(out, string(key[len(PrefixNode):]))
		return nil
	})
	return out, err
}

// NodeAllowed reports whether node ID id may connect.
func (v *View) NodeAllowed(id string) (bool, error) { return nodeAllowed(v.snap, id) }

// Prove returns the value of a state key with an ics23 proof against the
// view's app hash: an existence proof if the key is present, else (value
// nil) an absence proof. Check them with smt.VerifyExistence and
// smt.VerifyAbsence.
func (v *View) Prove(key []byte) ([]byte, *ics23.CommitmentProof, error) {
	if v.height == 0 {
		return nil, nil, errors.New("no committed state to prove against yet")
	}
	value, err := v.Get(key)
	if err != nil {
		return nil, nil, err
	}
	v.proveMu.Lock()
	defer v.proveMu.Unlock()
	if value == nil {
		proof, err := v.tree.ProveAbsence(key, v.snap.Get)
		if err != nil {
			return nil, nil, fmt.Errorf("prove absence of %q at height %d: %w", key, v.height, err)
		}
		return nil, proof, nil
	}
	proof, err := v.tree.ProveExistence(key, value)
	if err != nil {
		return nil, nil, fmt.Errorf("prove %q at height %d: %w", key, v.height, err)
	}
	return value, proof, nil
}

// AdminCount returns the number of admins, from the admin index (at most
// MaxAdmins entries), without reading any account.
func (v *View) AdminCount() (int, error) {
	admins, err := listAdmins(v.snap)
	return len(admins), err
}
