package ledger

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/tallyledger/tally/crypto"
	"github.com/tallyledger/tally/ledger/smt"
)

// Ledger is the deterministic state machine: blocks of transactions in,
// results, events, validator updates and an app hash out. Its state lives in
// a Store; the app hash is the root of a sparse Merkle tree over every state
// key/value, kept in memory and rebuilt by Open.
//
// InitChain, PrepareTxs, ProcessTxs, FinalizeBlock, Commit and Close are
// serialized by the Ledger; CheckTx and PendingNonce run against the check
// state under their own lock; View and the metadata getters never block on
// either and may be called from any goroutine.
type Ledger struct {
	store      Store
	verify     *verifier
	treeUpdate func(changes int) (done func())

	mu         sync.Mutex // block execution and commit
	tree       *smt.Tree  // committed tree; never written (FinalizeBlock writes a snapshot)
	pageDepth  int        // of the tree's stored pages
	nextHeight int64      // height of the next block; 0 before InitChain on a fresh store
	genesis    *overlay   // state staged by InitChain, written by the first Commit
	pending    *pendingBlock
	processed  *processedBlock // the last proposal ProcessTxs accepted
	closed     bool

	view    atomic.Pointer[View] // last committed state
	chainID atomic.Pointer[string]

	checkMu      sync.Mutex
	check        *overlay // committed state + admitted mempool transactions
	checkHeight  int64
	checkPending map[crypto.Address]int // admitted transactions per sender since the last commit
	// checkTxs and checkBytes count the transactions admitted since the
	// last commit (rechecked ones included) and their bytes: never fewer
	// than the mempool holds, since every transaction enters the mempool
	// only after CheckTx admitted it.
	checkTxs, checkBytes int64
	// checkSigners are the signers of the last commit of the last block
	// committed: CheckTx's best guess of the next block's, so that a
	// validator change the next block would refuse is refused at once
	// instead of waiting in the mempool.
	checkSigners [][]byte

	maxPending       int   // 0 = no bound
	maxAccountPerBlk int   // 0 = no bound
	maxMempoolTxs    int64 // 0 = no bound
	maxMempoolBytes  int64 // 0 = no bound
}

// pendingBlock is a finalized block waiting for Commit.
type pendingBlock struct {
	height  int64
	signers [][]byte // of the block's last commit
	changes []change
	index   []change // transaction index writes, outside the tree
	tree    *smt.Tree
	appHash []byte
}

// Open loads the ledger in store: it reads the last committed height and
// app hash and opens the state tree from its stored pages, whose root must
// equal the committed app hash. Without usable pages (a store from before
// them, or pages that do not match) it rebuilds them from the flat entries
// and refuses to start if the rebuilt root differs from the committed app
// hash; Options.VerifyState makes it check the flat entries so every time.
// Close closes the store.
func Open(store Store, opts Options) (*Ledger, error) {
	snap, err := store.Snapshot()
	if err != nil {
		return nil, fmt.Errorf("open ledger: %w", err)
	}
	height, appHash, err := readMeta(snap)
	if err != nil {
		snap.Release()
		return nil, err
	}
	depth := opts.pageDepth
	if depth == 0 {
		depth = smt.DefaultPageDepth
	}
	var cache *smt.PageCache
	if size := opts.TreePageCacheBytes; size >= 0 {
		if size == 0 {
			size = DefaultTreePageCacheBytes
		}
		cache = smt.NewPageCache(size)
	}
	tree, _, err := loadTree(snap, depth, cache, height, appHash)
	if err != nil {
		snap.Release()
		return nil, err
	}
	if tree == nil {
		if tree, snap, err = rebuildTree(store, snap, depth, cache, height, appHash); err != nil {
			return nil, err
		}
	} else if opts.VerifyState {
		if err := verifyState(snap, height, appHash); err != nil {
			snap.Release()
			return nil, err
		}
	}
	chainID, err := getChainID(snap)
	if err != nil {
		snap.Release()
		return nil, fmt.Errorf("open ledger: %w", err)
	}
	l := &Ledger{store: store, verify: newVerifier(opts), tree: tree, treeUpdate: opts.TreeUpdate, pageDepth: depth,
		maxPending:       limitOrDefault(opts.MaxPendingPerAccount, DefaultMaxPendingPerAccount),
		maxAccountPerBlk: limitOrDefault(opts.MaxAccountTxsPerBlock, DefaultMaxAccountTxsPerBlock),
		maxMempoolTxs:    max(opts.MaxMempoolTxs, 0),
		maxMempoolBytes:  max(opts.MaxMempoolBytes, 0),
	}
	l.chainID.Store(&chainID)
	if height > 0 {
		l.nextHeight = height + 1
	}
	v := &View{height: height, appHash: appHash, chainID: chainID, snap: snap, tree: tree.Snapshot()}
	l.view.Store(v)
	l.resetCheck(newReadCache(v.snap), l.nextHeight)
	return l, nil
}

func readMeta(r Reader) (int64, []byte, error) {
	hb, err := r.Get([]byte(metaHeightKey))
	if err != nil {
		return 0, nil, fmt.Errorf("open ledger: read height: %w", err)
	}
	if hb == nil {
		return 0, nil, nil
	}
	height, err := decodeHeight(hb)
	if err != nil {
		return 0, nil, fmt.Errorf("open ledger: %w", err)
	}
	appHash, err := r.Get([]byte(metaAppHashKey))
	if err != nil {
		return 0, nil, fmt.Errorf("open ledger: read app hash: %w", err)
	}
	if len(appHash) != 32 {
		return 0, nil, fmt.Errorf("open ledger: committed app hash at height %d is %d bytes, expected 32", height, len(appHash))
	}
	return height, appHash, nil
}

// entriesHint returns the number of state entries recorded by the last
// commit, 0 if unknown.
func entriesHint(r Reader) int {
	b, err := r.Get([]byte(metaEntriesKey))
	if err != nil || b == nil {
		return 0
	}
	n, err := decodeHeight(b)
	if err != nil || n < 0 || n > 1<<34 {
		return 0
	}
	return int(n)
}

// Close closes the store. Views taken before stay readable only as far as
// the store allows (a closed LevelDB store fails reads with ErrClosed).
func (l *Ledger) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	return l.store.Close()
}

// SigCacheStats returns how many signature checks the cache has answered
// (hits) and how many signatures were verified (misses) since Open.
func (l *Ledger) SigCacheStats() (hits, misses uint64) {
	return l.verify.hits.Load(), l.verify.misses.Load()
}

// ChainID returns the chain ID (set by InitChain), or "" before.
func (l *Ledger) ChainID() string { return *l.chainID.Load() }

// LastHeight returns the last committed height (0 before the first block).
func (l *Ledger) LastHeight() int64 { return l.view.Load().height }

// LastAppHash returns the app hash of the last committed state (nil before
// the first block).
func (l *Ledger) LastAppHash() []byte { return bytes.Clone(l.view.Load().appHash) }

// View returns a read-only view of the last committed state. It never shows
// a half-applied block and stays consistent however long it is held.
func (l *Ledger) View() *View { return l.view.Load() }

// InitChain stages the genesis state of a fresh ledger and returns its app
// hash. Nothing is written until the first Commit, which stores the genesis
// state together with block initialHeight, so a crash before it leaves an
// empty ledger for InitChain to run again.
func (l *Ledger) InitChain(chainID string, initialHeight int64, g GenesisState) ([]byte, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if h := l.LastHeight(); h != 0 {
		return nil, fmt.Errorf("InitChain on a ledger that already holds height %d: reset the node's data first", h)
	}
	if chainID == "" || len(chainID) > MaxChainIDBytes {
		return nil, fmt.Errorf("chain ID %q must be 1 to %d bytes", chainID, MaxChainIDBytes)
	}
	if initialHeight == 0 {
		initialHeight = 1
	}
	if initialHeight < 0 {
		return nil, fmt.Errorf("initial height %d, expected at least 1", initialHeight)
	}
	if err := g.Validate(); err != nil {
		return nil, fmt.Errorf("invalid genesis state: %w", err)
	}
	ov := newOverlay(l.view.Load().snap)
	writeGenesis(ov, chainID, &g)
	changes, err := ov.changes()
	if err != nil {
		return nil, err
	}
	tree := l.tree.Snapshot()
	if err := applyChanges(tree, changes); err != nil {
		return nil, err
	}
	root, err := tree.Sum()
	if err != nil {
		return nil, fmt.Errorf("genesis state tree: %w", err)
	}
	l.genesis = ov
	l.nextHeight = initialHeight
	l.pending = nil
	l.processed = nil
	l.chainID.Store(&chainID)
	l.resetCheck(ov, initialHeight)
	return root[:], nil
}

// execBase is the state blocks execute on: the staged genesis state before
// the first commit, the committed state after.
func (l *Ledger) execBase() Reader {
	if l.genesis != nil {
		return l.genesis
	}
	return newReadCache(l.view.Load().snap)
}

func (l *Ledger) ready(height int64) error {
	if l.closed {
		return ErrClosed
	}
	if l.nextHeight == 0 {
		return errors.New("ledger has no chain: InitChain has not run")
	}
	if height != l.nextHeight {
		return fmt.Errorf("block height %d, expected %d (last committed %d)", height, l.nextHeight, l.LastHeight())
	}
	return nil
}

// CheckTx validates a transaction for the mempool against the check state:
// the committed state plus the effects of transactions already admitted, so
// an account may have several pending transactions in nonce order. A
// transaction is admitted only if it would succeed, its sender has fewer
// than Options.MaxPendingPerAccount admitted transactions waiting
// (CodeTooManyPending otherwise: one account cannot flood the mempool),
// and the mempool has room for it (CodeMempoolFull otherwise, see
// Options.MaxMempoolTxs); its effects then stay in the check state until
// the next Commit resets it. After a Commit the mempool's remaining
// transactions are rechecked (recheck=true) in order; a recheck is never
// refused for room, since the transaction already holds its place. The
// result carries the code and log, never events (only a block's execution
// builds them), and a transaction seen before is neither decoded nor
// verified again (the signature cache). A sender that is not a registered
// account is refused before its signature is verified (a block verifies
// first, so there a bad signature is what such a transaction fails on).
func (l *Ledger) CheckTx(raw []byte, recheck bool) TxResult {
	chainID := l.ChainID()
	d, hit := l.verify.decode(chainID, raw)
	if !hit && d.decodeErr == nil {
		// Verifying is most of CheckTx's cost: a sender that is not a
		// registered account is refused before it, so made-up keys cost
		// a validator no signature check (nor earn a key table).
		if res, known := l.checkSenderKnown(d.sender); !known {
			return res
		}
		l.verify.verifyOne(chainID, d)
	}

	l.checkMu.Lock()
	defer l.checkMu.Unlock()
	if l.check == nil {
		return TxResult{Code: CodeInternal, Log: errNoChain.Error()}
	}
	var sender crypto.Address
	if d.tx != nil {
		sender = d.sender
		if n := l.checkPending[sender]; l.maxPending > 0 && n >= l.maxPending {
			return TxResult{Code: CodeTooManyPending, Log: fmt.Sprintf(
				"%s has %d transactions waiting for a block, at most %d allowed: retry after the next block", sender, n, l.maxPending)}
		}
	}
	if !recheck {
		if res, full := l.mempoolFull(len(raw)); full {
			return res
		}
	}
	env := newExecEnv(BlockInfo{Height: l.checkHeight, Signers: l.checkSigners}, len(l.checkSigners) > 0, false)
	res, err := tryTx(l.check, env, d)
	if err != nil {
		return TxResult{Code: CodeInternal, Log: err.Error()}
	}
	if res.Code == CodeOK {
		l.checkPending[sender]++
		l.checkTxs++
		l.checkBytes += int64(len(raw))
	}
	return res
}

// errNoChain answers every check before InitChain.
var errNoChain = errors.New("ledger has no chain yet: InitChain has not run")

// checkSenderKnown reports whether sender is an account of the check
// state, and the refusal when it is not (the one execution would give
// once the signature verified).
func (l *Ledger) checkSenderKnown(sender crypto.Address) (TxResult, bool) {
	l.checkMu.Lock()
	defer l.checkMu.Unlock()
	if l.check == nil {
		return TxResult{Code: CodeInternal, Log: errNoChain.Error()}, false
	}
	b, err := l.check.Get(AccountKey(sender)) // presence only: no decoding
	switch {
	case err != nil:
		return TxResult{Code: CodeInternal, Log: err.Error()}, false
	case b == nil:
		e := unknownAccount("sender", sender)
		return TxResult{Code: e.Code, Log: e.Msg}, false
	}
	return TxResult{}, true
}

// mempoolFull refuses a new transaction of size bytes when admitting it
// could overfill the mempool (the caller holds checkMu). CometBFT checks
// for room before CheckTx and again after it, and a transaction that
// finds the mempool full only the second time (others admitted while it
// was checked) is dropped without a word to its sender, after CheckTx
// has applied it to the check state, so the sender's later nonces would
// wait on a gap. Counted here, under the check state's lock, the bound
// holds for transactions checked in parallel too.
func (l *Ledger) mempoolFull(size int) (TxResult, bool) {
	switch {
	case l.maxMempoolTxs > 0 && l.checkTxs >= l.maxMempoolTxs:
		return TxResult{Code: CodeMempoolFull, Log: fmt.Sprintf(
			"mempool is full: %d transactions waiting for a block, at most %d: retry after the next block", l.checkTxs, l.maxMempoolTxs)}, true
	case l.maxMempoolBytes > 0 && l.checkBytes+int64(size) > l.maxMempoolBytes:
		return TxResult{Code: CodeMempoolFull, Log: fmt.Sprintf(
			"mempool is full: %d bytes of transactions waiting for a block, at most %d: retry after the next block", l.checkBytes, l.maxMempoolBytes)}, true
	}
	return TxResult{}, false
}

// PendingNonce returns the next nonce of addr in the check state (counting
// admitted mempool transactions) and whether the account is registered. The
// error is a storage failure (or no chain yet), never an unknown account.
func (l *Ledger) PendingNonce(addr crypto.Address) (nonce uint64, registered bool, err error) {
	l.checkMu.Lock()
	defer l.checkMu.Unlock()
	if l.check == nil {
		return 0, false, errNoChain
	}
	acct, err := getAccount(l.check, addr)
	if err != nil {
		return 0, false, fmt.Errorf("pending nonce of %s: %w", addr, err)
	}
	if acct == nil {
		return 0, false, nil
	}
	return acct.Nonce, true, nil
}

func (l *Ledger) resetCheck(base Reader, nextHeight int64) {
	l.checkMu.Lock()
	defer l.checkMu.Unlock()
	if nextHeight == 0 {
		l.check = nil
		return
	}
	l.check = newOverlay(base)
	l.checkHeight = nextHeight
	l.checkPending = map[crypto.Address]int{}
	l.checkTxs, l.checkBytes = 0, 0
}

// FinalizeBlock executes a block on an overlay of the committed state and
// returns its results and app hash; Commit makes it durable. Signatures not
// verified by CheckTx are verified first, in parallel, then the
// transactions run in order, so the results never depend on the cache or on
// scheduling. The error is for storage failures only: rejected transactions
// are results.
func (l *Ledger) FinalizeBlock(b BlockInfo, txs [][]byte) (*BlockResult, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.ready(b.Height); err != nil {
		return nil, err
	}
	l.pending = nil
	var p *blockPass
	var res *BlockResult
	if pb := l.takeProcessed(b, txs); pb != nil {
		p = pb.pass
		res = &BlockResult{TxResults: pb.results, Events: p.events}
	} else {
		var err error
		if p, err = l.newBlockPass(b, true, true, txs); err != nil {
			return nil, err
		}
		res = &BlockResult{TxResults: make([]TxResult, len(txs)), Events: p.events}
		for i := range p.txs {
			if res.TxResults[i], err = p.run(i); err != nil {
				return nil, err
			}
		}
	}
	for _, d := range p.txs {
		if d.decodeErr == nil && d.keyed {
			l.verify.cache.forget(d.key)
		}
	}

	blk := p.blk
	blockChanges, err := blk.changes()
	if err != nil {
		return nil, fmt.Errorf("block %d: %w", b.Height, err)
	}
	if res.ValidatorUpdates, err = validatorUpdates(blockChanges); err != nil {
		return nil, fmt.Errorf("block %d: %w", b.Height, err)
	}
	changes := blockChanges
	if l.genesis != nil {
		all := newOverlay(l.view.Load().snap)
		l.genesis.mergeInto(all)
		blk.mergeInto(all)
		if changes, err = all.changes(); err != nil {
			return nil, fmt.Errorf("block %d: %w", b.Height, err)
		}
	}
	var treeDone func()
	if l.treeUpdate != nil {
		treeDone = l.treeUpdate(len(changes))
	}
	tree := l.tree.Snapshot()
	if err := applyChanges(tree, changes); err != nil {
		return nil, fmt.Errorf("block %d: %w", b.Height, err)
	}
	root, err := tree.Sum()
	if err != nil {
		return nil, fmt.Errorf("block %d: %w", b.Height, err)
	}
	if treeDone != nil {
		treeDone()
	}
	res.AppHash = root[:]
	index, err := indexBlock(l.view.Load().snap, b.Height, txs, res.TxResults)
	if err != nil {
		return nil, err
	}
	l.pending = &pendingBlock{height: b.Height, signers: b.Signers, changes: changes, index: index, tree: tree, appHash: res.AppHash}
	return res, nil
}

func applyChanges(tree *smt.Tree, changes []change) error {
	for _, c := range changes {
		if c.Value == nil {
			tree.Delete(c.Key)
			continue
		}
		if err := tree.Set(c.Key, c.Value); err != nil {
			return fmt.Errorf("update state tree: %w", err)
		}
	}
	return nil
}

// validatorUpdates turns the block's changes of validator records into
// CometBFT validator updates, sorted by public key.
func validatorUpdates(changes []change) ([]ValidatorUpdate, error) {
	var out []ValidatorUpdate
	for _, c := range changes {
		if !bytes.HasPrefix(c.Key, []byte(PrefixValidator)) {
			continue
		}
		pub, err := parseHexSuffix(c.Key, PrefixValidator, 32)
		if err != nil {
			return nil, err
		}
		var power uint64
		if c.Value != nil {
			var v Validator
			if err := decodeState(c.Value, &v); err != nil {
				return nil, err
			}
			power = v.Power
		}
		out = append(out, ValidatorUpdate{PubKey: pub, Power: int64(power)})
	}
	return out, nil
}

// Commit writes the finalized block (and, for the first block, the genesis
// state) with the new height and app hash in one synced batch, then makes
// it the state that views, CheckTx and the next block see. If the write
// fails, nothing changes: the block can be finalized and committed again.
func (l *Ledger) Commit() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	p := l.pending
	if p == nil {
		return errors.New("commit without a finalized block")
	}
	// The tree's pages and their marker go first: a store that tore the
	// batch after them leaves pages whose height or root does not match,
	// which Open rebuilds from the state, and a tear within the state
	// changes a state that Open refuses (LevelDB batches do not tear).
	var batch Batch
	pages, err := p.tree.PageWrites()
	if err != nil {
		return fmt.Errorf("commit block %d: %w", p.height, err)
	}
	addPageWrites(&batch, pages)
	batch.Set([]byte(metaTreeKey), encodeTreeMeta(l.pageDepth, p.height))
	for _, c := range append(p.changes, p.index...) {
		if c.Value == nil {
			batch.Delete(c.Key)
		} else {
			batch.Set(c.Key, c.Value)
		}
	}
	batch.Set([]byte(metaHeightKey), encodeHeight(p.height))
	batch.Set([]byte(metaEntriesKey), encodeHeight(int64(p.tree.Len())))
	batch.Set([]byte(metaAppHashKey), p.appHash)
	if err := l.store.Write(&batch, true); err != nil {
		return fmt.Errorf("commit block %d: %w", p.height, err)
	}
	snap, err := l.store.Snapshot()
	if err != nil {
		return fmt.Errorf("commit block %d: written, but cannot read it back: %w", p.height, err)
	}
	if l.tree, err = p.tree.Persisted(pageSource{snap}); err != nil {
		return fmt.Errorf("commit block %d: %w", p.height, err)
	}
	l.pending = nil
	l.processed = nil
	l.genesis = nil
	l.nextHeight = p.height + 1
	v := &View{height: p.height, appHash: p.appHash, chainID: l.ChainID(), snap: snap, tree: l.tree.Snapshot()}
	l.view.Store(v)
	l.checkMu.Lock()
	l.checkSigners = p.signers
	l.checkMu.Unlock()
	l.resetCheck(newReadCache(snap), l.nextHeight)
	return nil
}

// beginBlock runs what every block does before its transactions: open
// proposals whose expiry height has passed are closed as expired. The open
// proposal index is ordered by expiry, so only those are read.
func beginBlock(blk *overlay, env *execEnv) ([]Event, error) {
	type expiring struct{ id, expiry uint64 }
	var due []expiring
	err := blk.Iterate([]byte(PrefixOpenProposal), func(key, _ []byte) error {
		expiry, id, err := parseOpenProposalKey(key)
		if err != nil {
			return err
		}
		if expiry >= env.height {
			return errStopIteration
		}
		due = append(due, expiring{id, expiry})
		return nil
	})
	if err != nil && !errors.Is(err, errStopIteration) {
		return nil, err
	}
	var events []Event
	for _, e := range due {
		p, err := getProposal(blk, e.id)
		if err != nil {
			return nil, err
		}
		if p == nil {
			return nil, fmt.Errorf("open proposal index names proposal %d, which does not exist", e.id)
		}
		p.Status = ProposalExpired
		p.ClosedHeight = env.height
		putProposal(blk, p)
		events = append(events, newEvent("proposal_status", "id", u64(e.id), "status", ProposalExpired))
	}
	return events, nil
}

// errStopIteration ends an Iterate early; it is never returned to callers.
var errStopIteration = errors.New("stop iteration")
