package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/libs/log"
	sm "github.com/cometbft/cometbft/state"
	"github.com/cometbft/cometbft/store"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/tallyledger/tally/genesis"
	"github.com/tallyledger/tally/ledger"
)

// ReplayTx is one transaction of a replayed block: its result now and the
// result the node recorded when it executed the block.
type ReplayTx struct {
	Hash     string
	Code     uint32
	Log      string
	Recorded *abci.ExecTxResult // nil when the node kept no results for the block
}

// ReplayBlock is one block re-executed by ReplayBlocks.
type ReplayBlock struct {
	Height  int64
	Txs     []ReplayTx
	AppHash []byte // the app hash after the block, as re-executed
	// Expected is the app hash the network or the node recorded for the
	// state after the block: the header of the next block when the block
	// store holds it (ExpectedFrom "header"), else the app hash this node
	// computed when it executed the block (ExpectedFrom "node"); nil when
	// neither is stored.
	Expected     []byte
	ExpectedFrom string
}

// Matches reports whether the re-executed app hash equals the expected one.
func (b *ReplayBlock) Matches() bool {
	return b.Expected != nil && string(b.AppHash) == string(b.Expected)
}

// ReplayResult is the outcome of ReplayBlocks.
type ReplayResult struct {
	ChainID     string
	StateHeight int64 // the height of the state copy the blocks ran on
	Blocks      []ReplayBlock
}

// ReplayBlocks re-executes blocks from the block store of the stopped node
// at home, up to and including height, on a temporary copy of a ledger
// state at a lower height, and reports each block's transaction results
// and app hash against the one the chain recorded. The state comes from
// stateHome (a home holding an older state, such as a backup restored with
// "tallyd restore"), or from home itself when stateHome is empty: the
// ledger keeps only its latest state, so replaying block H needs a ledger
// at H-1 or below. Neither ledger is written. Replay stops at the first
// block whose app hash differs from the expected one.
func ReplayBlocks(home string, height int64, stateHome string) (*ReplayResult, error) {
	c, _, err := LoadConfig(home)
	if err != nil {
		return nil, err
	}
	if stateHome == "" {
		stateHome = home
	}
	sc, _, err := LoadConfig(stateHome)
	if err != nil {
		return nil, err
	}
	genDoc, _, err := genesis.Load(c.GenesisFile())
	if err != nil {
		return nil, err
	}
	for _, dir := range []string{c.DBDir(), sc.DBDir()} {
		if err := checkDataDirNotInUse(dir); err != nil {
			return nil, fmt.Errorf("%w (replay reads a stopped node's data)", err)
		}
	}

	tmp, err := os.MkdirTemp("", "tally-replay-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	if err := copyLevelDB(filepath.Join(sc.DBDir(), LedgerDBName), tmp); err != nil {
		return nil, fmt.Errorf("copy the ledger of %s: %w", stateHome, err)
	}
	st, err := ledger.OpenLevelDBStore(tmp)
	if err != nil {
		return nil, err
	}
	l, err := ledger.Open(st, ledger.Options{})
	if err != nil {
		st.Close()
		return nil, err
	}
	defer l.Close()
	from := l.LastHeight()
	switch {
	case from == 0:
		return nil, fmt.Errorf("the ledger of %s has committed no block: replay needs a state at height 1 or above", stateHome)
	case l.ChainID() != genDoc.ChainID:
		return nil, fmt.Errorf("the ledger of %s is of chain %q, the blocks of %s of chain %q", stateHome, l.ChainID(), home, genDoc.ChainID)
	case from >= height:
		how := "pass --state with a home holding an older state"
		if stateHome == home {
			how = "restore a backup taken at or below that height into another home (tallyd restore --home DIR FILE) and pass it as --state DIR"
		}
		return nil, fmt.Errorf("replaying block %d needs the ledger state at height %d or below, and the ledger of %s is at height %d (a ledger keeps only its latest state): %s", height, height-1, stateHome, from, how)
	}

	dbs := &dbRecorder{}
	defer dbs.closeAll(log.NewNopLogger())
	blockDB, err := dbs.open("blockstore", c)
	if err != nil {
		return nil, err
	}
	stateDB, err := dbs.open("state", c)
	if err != nil {
		return nil, err
	}
	blocks := store.NewBlockStore(blockDB)
	states := sm.NewStore(stateDB, sm.StoreOptions{})
	if height > blocks.Height() || from+1 < blocks.Base() {
		return nil, fmt.Errorf("the block store of %s holds blocks %d to %d: cannot replay blocks %d to %d", home, blocks.Base(), blocks.Height(), from+1, height)
	}

	a := New(l, log.NewNopLogger())
	ctx := context.Background()
	res := &ReplayResult{ChainID: genDoc.ChainID, StateHeight: from}
	for h := from + 1; h <= height; h++ {
		blk, err := replayOne(ctx, a, blocks, states, h, genDoc.InitialHeight)
		if err != nil {
			return res, err
		}
		res.Blocks = append(res.Blocks, *blk)
		if blk.Expected != nil && !blk.Matches() {
			break
		}
	}
	return res, nil
}

func replayOne(ctx context.Context, a *App, blocks *store.BlockStore, states sm.Store, h, initialHeight int64) (*ReplayBlock, error) {
	block := blocks.LoadBlock(h)
	if block == nil {
		return nil, fmt.Errorf("block %d is not in the block store", h)
	}
	var commit abci.CommitInfo
	if h > initialHeight {
		vals, err := states.LoadValidators(h - 1)
		if err != nil {
			return nil, fmt.Errorf("validators of height %d: %w", h-1, err)
		}
		if block.LastCommit.Size() != vals.Size() {
			return nil, fmt.Errorf("block %d: last commit of %d signatures, %d validators stored", h, block.LastCommit.Size(), vals.Size())
		}
		commit = sm.BuildLastCommitInfo(block, vals, initialHeight)
	}
	resp, err := a.FinalizeBlock(ctx, &abci.RequestFinalizeBlock{
		Hash:               block.Hash(),
		NextValidatorsHash: block.NextValidatorsHash,
		ProposerAddress:    block.ProposerAddress,
		Height:             block.Height,
		Time:               block.Time,
		DecidedLastCommit:  commit,
		Misbehavior:        block.Evidence.Evidence.ToABCI(),
		Txs:                block.Txs.ToSliceOfBytes(),
	})
	if err != nil {
		return nil, fmt.Errorf("execute block %d: %w", h, err)
	}
	if _, err := a.Commit(ctx, &abci.RequestCommit{}); err != nil {
		return nil, fmt.Errorf("commit block %d: %w", h, err)
	}
	out := &ReplayBlock{Height: h, AppHash: resp.AppHash}
	recorded, _ := states.LoadFinalizeBlockResponse(h)
	for i, tx := range block.Txs {
		rt := ReplayTx{Hash: fmt.Sprintf("%X", cmttypes.Tx(tx).Hash()), Code: resp.TxResults[i].Code, Log: resp.TxResults[i].Log}
		if recorded != nil && i < len(recorded.TxResults) {
			rt.Recorded = recorded.TxResults[i]
		}
		out.Txs = append(out.Txs, rt)
	}
	if next := blocks.LoadBlockMeta(h + 1); next != nil {
		out.Expected, out.ExpectedFrom = next.Header.AppHash, "header"
	} else if recorded != nil {
		out.Expected, out.ExpectedFrom = recorded.AppHash, "node"
	}
	return out, nil
}

// copyLevelDB copies the regular files of dir (a LevelDB directory: flat) into
// the existing directory to.
func copyLevelDB(dir, to string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || e.Name() == "LOCK" {
			continue
		}
		if err := copyFile(filepath.Join(dir, e.Name()), filepath.Join(to, e.Name())); err != nil {
			return err
		}
	}
	return nil
}
