package app

import (
	"github.com/tallyledger/tally/genesis"
)

// WithGenesis lets the caller edit the app_state InitHome writes (add
// accounts, assets, balances, allowed nodes) before it is saved. Edits run in
// order; the first error fails InitHome.
func WithGenesis(edit func(s *genesis.AppState) error) InitOption {
	return func(st *initSettings) { st.genesisEdits = append(st.genesisEdits, edit) }
}

// initialAppState is the app_state InitHome writes: default parameters and
// this node as the only allowed peer, then the caller's edits. A node starts
// only once the genesis has at least one admin account (tallyd genesis
// add-account ... --roles admin, or WithGenesis).
func initialAppState(nodeID string, edits []func(*genesis.AppState) error) (*genesis.AppState, error) {
	st := genesis.Default()
	if err := st.AllowNode(nodeID); err != nil {
		return nil, err
	}
	for _, edit := range edits {
		if err := edit(st); err != nil {
			return nil, err
		}
	}
	return st, nil
}
