package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	dbm "github.com/cometbft/cometbft-db"
	cmtcfg "github.com/cometbft/cometbft/config"
	cmtjson "github.com/cometbft/cometbft/libs/json"
	sm "github.com/cometbft/cometbft/state"
	"github.com/cometbft/cometbft/store"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/tallyledger/tally/ledger"
)

// Start-up consistency checks: the ledger, CometBFT's stores and the
// genesis file must describe the same chain before the node starts, and
// what CometBFT would report as a panic or a terse error is reported as
// what to do.

// explainNodeError rewrites CometBFT's start-up errors that have a known
// cause into a sentence an operator can act on.
func explainNodeError(err error, c *cmtcfg.Config) error {
	var high sm.ErrAppBlockHeightTooHigh
	var damaged *StoreDamagedError
	switch {
	case errors.As(err, &damaged):
		return damaged
	case errors.As(err, &high):
		return errLedgerAhead(high.AppHeight, high.CoreHeight, c.RootDir)
	case isLockedErr(err):
		return errDataDirInUse(c.DBDir())
	}
	return fmt.Errorf("start CometBFT: %w", err)
}

func errLedgerAhead(ledgerHeight, storeHeight int64, home string) error {
	return fmt.Errorf("ledger state at height %d is ahead of the block store at %d (CometBFT's data was lost or reset without the ledger's); run tallyd reset --home %s to clear both and resync from peers",
		ledgerHeight, storeHeight, home)
}

// checkLedgerAgainstChain compares the ledger with CometBFT's block store and
// state before the handshake, to report what CometBFT would only report as
// a panic or a terse error.
func checkLedgerAgainstChain(c *cmtcfg.Config, l *ledger.Ledger, genDoc *cmttypes.GenesisDoc, dbs *dbRecorder, home string) error {
	h := l.LastHeight()
	if h > 0 && l.ChainID() != genDoc.ChainID {
		return fmt.Errorf("ledger state belongs to chain %q but the genesis is for %q; run tallyd reset --home %s or use the right genesis", l.ChainID(), genDoc.ChainID, home)
	}
	blockDB, err := dbs.open("blockstore", c)
	if err != nil {
		return err
	}
	bs := store.NewBlockStore(blockDB)
	storeHeight := bs.Height()
	// The header of block h+1 commits to the state after h: the network's
	// app hash for the ledger's state.
	var networkAppHash []byte
	if h > 0 && storeHeight > h {
		if meta := bs.LoadBlockMeta(h + 1); meta != nil {
			networkAppHash = meta.Header.AppHash
		}
	}
	stateDB, err := dbs.open("state", c)
	if err != nil {
		return err
	}
	state, err := sm.NewStore(stateDB, sm.StoreOptions{}).Load()
	if err != nil {
		return fmt.Errorf("read CometBFT state: %w", err)
	}
	if err := checkGenesisUnchanged(stateDB, genDoc, c.GenesisFile(), home); err != nil {
		return err
	}
	// Closed here so that NewNode can open them again.
	blockDB.Close()
	stateDB.Close()

	if h > storeHeight {
		return errLedgerAhead(h, storeHeight, home)
	}
	if networkAppHash != nil && !bytes.Equal(l.LastAppHash(), networkAppHash) {
		return fmt.Errorf("app hash disagrees with the network: the ledger's state at height %d has app hash %X but the header of block %d commits to %X; state hashes by key prefix (prefix, keys, hash), to compare with a healthy node's \"tallyd debug dump\": %s",
			h, l.LastAppHash(), h+1, networkAppHash, groupHashesOf(l.View()))
	}
	if h > 0 && h == state.LastBlockHeight && !bytes.Equal(l.LastAppHash(), state.AppHash) {
		return fmt.Errorf("ledger app hash %X at height %d differs from CometBFT's %X at that height (the ledger or CometBFT data was replaced); run tallyd reset --home %s to resync; state hashes by key prefix (prefix, keys, hash): %s",
			l.LastAppHash(), h, state.AppHash, home, groupHashesOf(l.View()))
	}
	return nil
}

// groupHashesOf is the one-line form of v's per-prefix state hashes.
func groupHashesOf(v *ledger.View) string {
	g, err := v.GroupHashes()
	if err != nil {
		return err.Error()
	}
	return ledger.FormatGroupHashes(g)
}

// checkGenesisUnchanged refuses a genesis file that differs from the one the
// node's chain data started from: CometBFT would silently keep using the
// stored one. (The genesis time is not compared: a file without one gets
// the current time each time it is read.)
func checkGenesisUnchanged(stateDB dbm.DB, genDoc *cmttypes.GenesisDoc, path, home string) error {
	raw, err := stateDB.Get([]byte("genesisDoc"))
	if err != nil {
		return fmt.Errorf("read the stored genesis: %w", err)
	}
	if len(raw) == 0 {
		return nil // first start
	}
	var stored cmttypes.GenesisDoc
	if err := cmtjson.Unmarshal(raw, &stored); err != nil {
		return fmt.Errorf("read the stored genesis: %w", err)
	}
	var what string
	switch {
	case stored.ChainID != genDoc.ChainID:
		what = fmt.Sprintf("chain ID %q, the data is of %q", genDoc.ChainID, stored.ChainID)
	case stored.InitialHeight != genDoc.InitialHeight:
		what = "initial_height"
	case !bytes.Equal(stored.ValidatorHash(), genDoc.ValidatorHash()):
		what = "validators"
	case !jsonEqual(stored.AppState, genDoc.AppState):
		what = "app_state"
	default:
		return nil
	}
	return fmt.Errorf("genesis file %s differs from the genesis this node's data started from (%s); restore the original file, or run tallyd reset --home %s to start over with the new one", path, what, home)
}

// jsonEqual compares two JSON texts ignoring insignificant whitespace.
func jsonEqual(a, b []byte) bool {
	var ca, cb bytes.Buffer
	if json.Compact(&ca, a) != nil || json.Compact(&cb, b) != nil {
		return bytes.Equal(a, b)
	}
	return bytes.Equal(ca.Bytes(), cb.Bytes())
}
