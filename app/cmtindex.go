package app

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	dbm "github.com/cometbft/cometbft-db"
	abci "github.com/cometbft/cometbft/abci/types"
	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/libs/log"
	sm "github.com/cometbft/cometbft/state"
	"github.com/cometbft/cometbft/state/indexer"
	blockidxkv "github.com/cometbft/cometbft/state/indexer/block/kv"
	"github.com/cometbft/cometbft/state/txindex"
	txidxkv "github.com/cometbft/cometbft/state/txindex/kv"
	"github.com/cometbft/cometbft/store"
	cmttypes "github.com/cometbft/cometbft/types"
)

// CometBFT indexes a block's transactions (for `tx` and `tx_search`, which
// `tally query tx` and `tally query history` use) asynchronously, after the
// block is committed, in its own database. A crash between the commit and
// the indexing, or a damaged index journal, leaves committed transactions
// out of the index, and CometBFT starts and serves on without them. So at
// start-up the node checks the top of the chain against the index and
// indexes again, from the block store and the stored block results, the
// heights it lacks; `tallyd reindex` rebuilds the whole index.

// TxIndexDBName is CometBFT's tx and block event index inside db_dir.
const TxIndexDBName = "tx_index.db"

// ReindexReport says what a tx index check or rebuild did.
type ReindexReport struct {
	From, To int64 // heights indexed again (From > To: none)
	Txs      int   // transactions indexed again
	Checked  int64 // heights checked before the first complete one
}

// txIndexStores are the databases a re-index reads and writes.
type txIndexStores struct {
	blocks   *store.BlockStore
	states   sm.Store
	txs      txindex.TxIndexer
	blockIdx indexer.BlockIndexer
	last     int64 // last executed height (block results stored)
	dbs      []dbm.DB
}

func (s *txIndexStores) close() {
	for _, db := range s.dbs {
		db.Close()
	}
}

// openTxIndexStores opens the block store, the state store and the tx
// index of the node configured by c.
func openTxIndexStores(c *cmtcfg.Config, open func(id string) (dbm.DB, error)) (*txIndexStores, error) {
	s := &txIndexStores{}
	for _, id := range []string{"blockstore", "state", "tx_index"} {
		db, err := open(id)
		if err != nil {
			s.close()
			if id == "tx_index" {
				return nil, errTxIndexDamaged(c, err)
			}
			return nil, err
		}
		s.dbs = append(s.dbs, db)
	}
	s.blocks = store.NewBlockStore(s.dbs[0])
	s.states = sm.NewStore(s.dbs[1], sm.StoreOptions{DiscardABCIResponses: c.Storage.DiscardABCIResponses})
	state, err := s.states.Load()
	if err != nil {
		s.close()
		return nil, fmt.Errorf("read CometBFT state: %w", err)
	}
	// A block whose results are stored is decided and executed, even when
	// a crash came before CometBFT saved its state: the handshake then
	// completes it without publishing its events, so it is never indexed
	// unless indexed here.
	s.last = min(state.LastBlockHeight, s.blocks.Height())
	if top := s.blocks.Height(); top > s.last {
		if _, err := s.states.LoadFinalizeBlockResponse(top); err == nil {
			s.last = top
		}
	}
	s.txs = txidxkv.NewTxIndex(s.dbs[2])
	s.blockIdx = blockidxkv.New(dbm.NewPrefixDB(s.dbs[2], []byte("block_events")))
	return s, nil
}

func errTxIndexDamaged(c *cmtcfg.Config, err error) error {
	var damaged *StoreDamagedError
	if errors.As(err, &damaged) {
		return damaged
	}
	return fmt.Errorf("tx index %s is damaged (%v): transaction and history lookups would miss entries; rebuild it from the block store with `tallyd reindex --home %s`",
		filepath.Join(c.DBDir(), TxIndexDBName), err, c.RootDir)
}

// indexed reports whether height h is completely in the index: its block
// events and every one of its transactions.
func (s *txIndexStores) indexed(h int64) (bool, error) {
	ok, err := s.blockIdx.Has(h)
	if err != nil || !ok {
		return false, err
	}
	block := s.blocks.LoadBlock(h)
	if block == nil {
		return false, fmt.Errorf("block %d is missing from the block store", h)
	}
	for _, tx := range block.Txs {
		res, err := s.txs.Get(tx.Hash())
		if err != nil {
			return false, err
		}
		if res == nil || res.Height != h {
			return false, nil
		}
	}
	return true, nil
}

// reindex indexes heights from..to again.
func (s *txIndexStores) reindex(from, to int64, rep *ReindexReport) error {
	for h := from; h <= to; h++ {
		block := s.blocks.LoadBlock(h)
		if block == nil {
			return fmt.Errorf("block %d is missing from the block store", h)
		}
		resp, err := s.states.LoadFinalizeBlockResponse(h)
		if err != nil {
			return fmt.Errorf("the results of block %d are not stored (%v), so its transactions cannot be indexed again", h, err)
		}
		if len(resp.TxResults) != len(block.Txs) {
			return fmt.Errorf("block %d holds %d transactions but %d results are stored", h, len(block.Txs), len(resp.TxResults))
		}
		if n := len(block.Txs); n > 0 {
			batch := txindex.NewBatch(int64(n))
			for i, res := range resp.TxResults {
				if err := batch.Add(&abci.TxResult{Height: h, Index: uint32(i), Tx: block.Txs[i], Result: *res}); err != nil {
					return err
				}
			}
			if err := s.txs.AddBatch(batch); err != nil {
				return fmt.Errorf("index the transactions of block %d: %w", h, err)
			}
		}
		if err := s.blockIdx.Index(cmttypes.EventDataNewBlockEvents{Height: h, Events: resp.Events, NumTxs: int64(len(block.Txs))}); err != nil {
			return fmt.Errorf("index block %d: %w", h, err)
		}
		rep.Txs += len(block.Txs)
	}
	rep.From, rep.To = from, to
	return nil
}

// repairTxIndex indexes again the top heights that the tx index lacks.
// Blocks are indexed in order, so what a crash or a truncated journal
// loses is the newest heights: the check walks down from the last
// executed height to the first completely indexed one.
func repairTxIndex(c *cmtcfg.Config, open func(id string) (dbm.DB, error)) (ReindexReport, error) {
	rep := ReindexReport{From: 1}
	if c.TxIndex.Indexer != "kv" {
		return rep, nil
	}
	s, err := openTxIndexStores(c, open)
	if err != nil {
		return rep, err
	}
	defer s.close()
	base := max(s.blocks.Base(), 1)
	from := s.last + 1
	for h := s.last; h >= base; h-- {
		rep.Checked++
		ok, err := s.indexed(h)
		if err != nil {
			return rep, errTxIndexDamaged(c, err)
		}
		if ok {
			break
		}
		from = h
	}
	if from > s.last {
		return rep, nil
	}
	if err := s.reindex(from, s.last, &rep); err != nil {
		return rep, fmt.Errorf("tx index %s lacks heights %d-%d and cannot be repaired: %v; re-sync the node (tallyd reset, then start) or restore its data directory from a backup",
			filepath.Join(c.DBDir(), TxIndexDBName), from, s.last, err)
	}
	return rep, nil
}

// checkTxIndex runs repairTxIndex at start-up and logs a repair.
func checkTxIndex(c *cmtcfg.Config, dbs *dbRecorder, logger log.Logger) error {
	began := time.Now()
	var opened []dbm.DB
	rep, err := repairTxIndex(c, func(id string) (dbm.DB, error) {
		db, err := dbs.open(id, c)
		if err == nil {
			opened = append(opened, db)
		}
		return db, err
	})
	for _, db := range opened { // closed so that NewNode can open them again
		db.Close()
	}
	if err != nil {
		return err
	}
	if rep.From <= rep.To {
		logger.Info("tx index repaired: heights it lacked were indexed again from the block store",
			"from", rep.From, "to", rep.To, "txs", rep.Txs, "took", time.Since(began).Round(time.Millisecond).String())
	}
	return nil
}

// Reindex rebuilds CometBFT's tx index of the node at home from its block
// store and stored block results: the damaged index is moved aside to
// tx_index.db.damaged-<unix time> (kept for inspection; delete it once the
// node serves again) and every stored height is indexed again. The node
// must not be running.
func Reindex(home string) (ReindexReport, error) {
	c, _, err := LoadConfig(home)
	if err != nil {
		return ReindexReport{}, err
	}
	if c.TxIndex.Indexer != "kv" {
		return ReindexReport{}, fmt.Errorf("the tx index is off in %s (tx_index.indexer = %q): nothing to rebuild", filepath.Join(home, "config", "config.toml"), c.TxIndex.Indexer)
	}
	dir := filepath.Join(c.DBDir(), TxIndexDBName)
	// The block store and the state it reads from must be whole (the
	// index itself is moved aside).
	if err := checkLevelJournals(c, home, log.NewNopLogger(), TxIndexDBName); err != nil {
		return ReindexReport{}, err
	}
	dbs := &dbRecorder{}
	defer dbs.closeAll(log.NewNopLogger())
	// Lock the block store first, so that a running node is detected
	// before anything is moved.
	if _, err := dbs.open("blockstore", c); err != nil {
		return ReindexReport{}, err
	}
	if _, err := os.Stat(dir); err == nil {
		aside := fmt.Sprintf("%s.damaged-%d", dir, time.Now().Unix())
		if err := os.Rename(dir, aside); err != nil {
			return ReindexReport{}, fmt.Errorf("move the old tx index aside: %w", err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return ReindexReport{}, err
	}
	rep := ReindexReport{From: 1}
	s, err := openTxIndexStores(c, func(id string) (dbm.DB, error) {
		if id == "blockstore" {
			return dbs.dbs[0], nil
		}
		return dbs.open(id, c)
	})
	if err != nil {
		return rep, err
	}
	from := max(s.blocks.Base(), 1)
	if from > s.last {
		return ReindexReport{From: 1, To: 0}, nil
	}
	if err := s.reindex(from, s.last, &rep); err != nil {
		return rep, fmt.Errorf("rebuild the tx index: %v; re-sync the node (tallyd reset, then start) or restore its data directory from a backup", err)
	}
	return rep, nil
}
