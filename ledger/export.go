package ledger

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/tallyledger/tally/crypto"
	"github.com/tallyledger/tally/ledger/smt"
)

// RetiredNonce is the next nonce of a removed account, kept so that
// re-registering the account does not make its old transactions valid
// again.
type RetiredNonce struct {
	Address crypto.Address `json:"address"`
	Nonce   uint64         `json:"nonce,string"`
}

// Export returns the view's whole state as a genesis state: InitChain with
// it (and the view's chain ID) writes exactly the same key/values, so the
// new chain's state root equals the view's app hash. Export checks this
// itself by computing the root of the state the genesis would write, and
// fails if any key of the view would be lost or changed.
func (v *View) Export() (GenesisState, error) {
	var g GenesisState
	if v.height == 0 {
		return g, errors.New("no committed state to export yet")
	}
	var err error
	if g.Params, err = getParams(v.snap); err != nil {
		return g, fmt.Errorf("export params: %w", err)
	}
	if g.Accounts, err = v.Accounts(); err != nil {
		return g, fmt.Errorf("export accounts: %w", err)
	}
	if g.Assets, err = v.Assets(); err != nil {
		return g, fmt.Errorf("export assets: %w", err)
	}
	err = v.snap.Iterate([]byte(PrefixBalance), func(key, value []byte) error {
		addr, err := addressFromKey(key, PrefixBalance)
		if err != nil {
			return err
		}
		rest := key[len(PrefixBalance)+2*len(addr):]
		if len(rest) < 2 || rest[0] != balanceSep {
			return fmt.Errorf("balance key %q has no asset", key)
		}
		var amount uint64
		if err := decodeState(value, &amount); err != nil {
			return err
		}
		g.Balances = append(g.Balances, GenesisBalance{Address: addr, Asset: string(rest[1:]), Amount: amount})
		return nil
	})
	if err != nil {
		return g, fmt.Errorf("export balances: %w", err)
	}
	if g.Validators, err = v.Validators(); err != nil {
		return g, fmt.Errorf("export validators: %w", err)
	}
	if g.AllowedNodes, err = v.AllowedNodes(); err != nil {
		return g, fmt.Errorf("export allowed nodes: %w", err)
	}
	if g.Proposals, err = v.Proposals(); err != nil {
		return g, fmt.Errorf("export proposals: %w", err)
	}
	if b, err := v.snap.Get(NextProposalIDKey()); err != nil {
		return g, fmt.Errorf("export next proposal ID: %w", err)
	} else if b != nil {
		if err := decodeState(b, &g.NextProposalID); err != nil {
			return g, fmt.Errorf("export next proposal ID: %w", err)
		}
	}
	err = v.snap.Iterate([]byte(PrefixRetiredNonce), func(key, value []byte) error {
		addr, err := addressFromKey(key, PrefixRetiredNonce)
		if err != nil {
			return err
		}
		r := RetiredNonce{Address: addr}
		if err := decodeState(value, &r.Nonce); err != nil {
			return err
		}
		g.RetiredNonces = append(g.RetiredNonces, r)
		return nil
	})
	if err != nil {
		return g, fmt.Errorf("export retired nonces: %w", err)
	}

	root, err := GenesisRoot(v.chainID, g)
	if err != nil {
		return g, fmt.Errorf("export: %w", err)
	}
	if !bytes.Equal(root, v.appHash) {
		return g, fmt.Errorf("export at height %d is incomplete: its state root %X differs from the app hash %X (a kind of state key the export does not cover: %s)",
			v.height, root, v.appHash, v.uncoveredPrefixes())
	}
	return g, nil
}

// GenesisRoot returns the state root a chain started from g with chainID
// has before its first block: the app hash InitChain returns.
func GenesisRoot(chainID string, g GenesisState) ([]byte, error) {
	ov := newOverlay(emptyReader{})
	writeGenesis(ov, chainID, &g)
	changes, err := ov.changes()
	if err != nil {
		return nil, err
	}
	tree := smt.New()
	if err := applyChanges(tree, changes); err != nil {
		return nil, err
	}
	root := tree.Root()
	return root[:], nil
}

// exportedPrefixes are the key prefixes Export reads (with the single keys).
var exportedPrefixes = []string{
	PrefixAccount, PrefixBalance, PrefixAsset, PrefixValidator, PrefixNode, PrefixProposal,
	PrefixOpenProposal, PrefixAdmin, PrefixHoldings, PrefixRetiredNonce, KeyParams, KeyChainID, KeyNextProposalID,
}

// uncoveredPrefixes names the state keys no exported prefix covers, for
// the error of an incomplete export.
func (v *View) uncoveredPrefixes() string {
	var odd []string
	_ = v.snap.Iterate([]byte(StatePrefix), func(key, _ []byte) error {
		for _, p := range exportedPrefixes {
			if strings.HasPrefix(string(key), p) {
				return nil
			}
		}
		if len(odd) < 5 {
			odd = append(odd, fmt.Sprintf("%q", key))
		}
		return nil
	})
	if len(odd) == 0 {
		return "none found; a value differs"
	}
	return strings.Join(odd, ", ")
}

// emptyReader is a store with nothing in it.
type emptyReader struct{}

func (emptyReader) Get([]byte) ([]byte, error)                          { return nil, nil }
func (emptyReader) Iterate([]byte, func(key, value []byte) error) error { return nil }
