package app

import (
	"encoding/json"
	"fmt"
)

// initialAppState is the app_state InitHome writes: default parameters and
// this node as the only allowed peer. Accounts, assets and balances are added
// with tallyd genesis commands.
func initialAppState(nodeID string) (json.RawMessage, error) {
	st := map[string]any{
		"params":        map[string]any{"admin_threshold": 1, "freeze_blocks_receive": false},
		"accounts":      []any{},
		"assets":        []any{},
		"balances":      []any{},
		"allowed_nodes": []string{nodeID},
	}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode app_state: %w", err)
	}
	return b, nil
}
