package app

import (
	"context"
	"errors"
	"fmt"
	"sync"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/libs/log"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/tallyledger/tally/genesis"
	"github.com/tallyledger/tally/ledger"
	"github.com/tallyledger/tally/version"
)

// ProtocolVersion is the version of the state machine (ABCI AppVersion). It
// changes only when the same blocks would give a different state.
const ProtocolVersion uint64 = 1

// Codespace is set on every non-zero CheckTx, ExecTxResult and Query code,
// telling clients the code is Tally's (ledger.Code for transactions, the
// Query* codes for queries).
const Codespace = "tally"

// App is the ABCI 2.0 application: it adapts CometBFT's calls onto a
// ledger.Ledger. Use it with NewParallelCheckTxClientCreator (CheckTx calls
// run concurrently with each other and with the other calls, which stay
// serialized) or proxy.NewLocalClientCreator (every call serialized); App
// relies on the ledger for the isolation of CheckTx (check state, under its
// own lock), FinalizeBlock (block overlay) and queries (committed views).
type App struct {
	abci.BaseApplication

	ledger *ledger.Ledger
	logger log.Logger

	afterCommit func(height int64)
	metrics     *Metrics       // nil: not measured
	diskFault   func(any) bool // sees a failed commit first; nil: none

	snapshots *snapshotStore // nil: no snapshots written or served
	restoreMu sync.Mutex
	restore   *ledger.Restore // a snapshot being restored (state sync)

	retainBlocks int64 // blocks CometBFT keeps; 0: all

	// genesisNodes answers the peer filter before the first block is
	// committed, when the committed state is still empty: the nodes of a
	// new network must connect to each other to produce that block.
	mu           sync.Mutex
	genesisNodes map[string]bool
}

var _ abci.Application = (*App)(nil)

// Option configures an App.
type Option func(*App)

// WithAfterCommit sets a function called at the end of every Commit with the
// committed height. It runs inside the ABCI call, so it must not block or
// call back into the node (its RPC, Stop, the switch): hand work to a
// goroutine.
func WithAfterCommit(fn func(height int64)) Option {
	return func(a *App) { a.afterCommit = fn }
}

// WithMetrics records the app's series (transactions by result code,
// block execution and commit times) in m.
func WithMetrics(m *Metrics) Option {
	return func(a *App) { a.metrics = m }
}

// WithDiskFault hands a failed commit to fn before Commit returns the
// error (which makes CometBFT panic): the node ends the process there when
// the disk is full or broken (see NodeOptions.OnDiskFault).
func WithDiskFault(fn func(any) bool) Option {
	return func(a *App) { a.diskFault = fn }
}

// New returns the application over l. The logger is CometBFT's.
func New(l *ledger.Ledger, logger log.Logger, opts ...Option) *App {
	if logger == nil {
		logger = log.NewNopLogger()
	}
	a := &App{ledger: l, logger: logger}
	for _, o := range opts {
		o(a)
	}
	return a
}

// Ledger returns the ledger the application drives.
func (a *App) Ledger() *ledger.Ledger { return a.ledger }

// Info reports the last committed height and app hash, from which CometBFT's
// handshake decides what to replay.
func (a *App) Info(_ context.Context, _ *abci.RequestInfo) (*abci.ResponseInfo, error) {
	return &abci.ResponseInfo{
		Data:             "tally",
		Version:          version.String(),
		AppVersion:       ProtocolVersion,
		LastBlockHeight:  a.ledger.LastHeight(),
		LastBlockAppHash: a.ledger.LastAppHash(),
	}, nil
}

// InitChain reads the genesis app_state, checks it and the validators, and
// stages the genesis state in the ledger (written by the first Commit). An
// error here makes the node refuse to start, which is the right outcome for
// an invalid genesis.
func (a *App) InitChain(_ context.Context, req *abci.RequestInitChain) (*abci.ResponseInitChain, error) {
	if len(req.AppStateBytes) == 0 {
		return nil, errors.New("genesis has no app_state: Tally needs at least one admin account (tallyd genesis add-account)")
	}
	st, err := genesis.Parse(req.AppStateBytes)
	if err != nil {
		return nil, fmt.Errorf("genesis app_state: %w", err)
	}
	if err := st.Validate(); err != nil {
		return nil, fmt.Errorf("invalid genesis app_state: %w", err)
	}
	vals, err := ledgerValidators(req.Validators)
	if err != nil {
		return nil, fmt.Errorf("genesis validators: %w", err)
	}
	gs, err := st.ToLedger(vals)
	if err != nil {
		return nil, fmt.Errorf("invalid genesis app_state: %w", err)
	}
	hash, err := a.ledger.InitChain(req.ChainId, req.InitialHeight, gs)
	if err != nil {
		return nil, fmt.Errorf("init chain %q: %w", req.ChainId, err)
	}
	nodes := make(map[string]bool, len(gs.AllowedNodes))
	for _, id := range gs.AllowedNodes {
		nodes[id] = true
	}
	a.mu.Lock()
	a.genesisNodes = nodes
	a.mu.Unlock()
	a.logger.Info("genesis staged", "chain_id", req.ChainId, "initial_height", req.InitialHeight,
		"accounts", len(gs.Accounts), "validators", len(vals), "app_hash", fmt.Sprintf("%X", hash))
	return &abci.ResponseInitChain{AppHash: hash}, nil
}

// ledgerValidators converts CometBFT's validator updates, refusing any key
// that is not ed25519 (the only type the ledger's governance handles).
func ledgerValidators(updates []abci.ValidatorUpdate) ([]ledger.Validator, error) {
	vals := make([]ledger.Validator, 0, len(updates))
	for i, u := range updates {
		pk := u.PubKey.GetEd25519()
		if len(pk) == 0 {
			return nil, fmt.Errorf("validator %d has a %s key, expected ed25519", i, keyTypeName(u))
		}
		if u.Power <= 0 {
			return nil, fmt.Errorf("validator %d (%X) has power %d, expected a positive power", i, pk, u.Power)
		}
		vals = append(vals, ledger.Validator{PubKey: append([]byte(nil), pk...), Power: uint64(u.Power)})
	}
	return vals, nil
}

func keyTypeName(u abci.ValidatorUpdate) string {
	switch {
	case len(u.PubKey.GetSecp256K1()) > 0:
		return "secp256k1"
	case len(u.PubKey.GetBls12381()) > 0:
		return "bls12_381"
	default:
		return "missing"
	}
}

// CheckTx admits a transaction to the mempool when it would succeed on the
// check state (the committed state plus the transactions admitted since).
func (a *App) CheckTx(_ context.Context, req *abci.RequestCheckTx) (*abci.ResponseCheckTx, error) {
	r := a.ledger.CheckTx(req.Tx, req.Type == abci.CheckTxType_Recheck)
	a.metrics.checked(r.Code)
	res := &abci.ResponseCheckTx{Code: uint32(r.Code), Log: r.Log}
	if r.Code != ledger.CodeOK {
		res.Codespace = Codespace
	}
	return res, nil
}

// PrepareProposal keeps, in order, the transactions that would succeed in
// this block and fit in MaxTxBytes, measured as CometBFT measures them (the
// protobuf size of each transaction, a few bytes above its length), and
// logs why it left each other one out. If the ledger cannot read its state
// it logs the error and proposes an empty block, which is always valid.
func (a *App) PrepareProposal(_ context.Context, req *abci.RequestPrepareProposal) (*abci.ResponsePrepareProposal, error) {
	info := ledger.BlockInfo{Height: req.Height, Signers: extendedCommitSigners(req.LocalLastCommit)}
	prepared, err := a.ledger.PrepareTxs(info, req.Txs, req.MaxTxBytes, protoTxSize)
	if err != nil {
		a.logger.Error("cannot prepare proposal: proposing an empty block", "height", req.Height, "offered", len(req.Txs), "err", err)
		return &abci.ResponsePrepareProposal{}, nil
	}
	for _, o := range prepared.Omitted {
		a.logger.Info("left transaction out of proposal", "height", req.Height, "tx", o.Hash, "index", o.Index,
			"code", o.Code.String(), "reason", o.Reason)
	}
	return &abci.ResponsePrepareProposal{Txs: prepared.Txs}, nil
}

// protoTxSize is the size CometBFT's types.Txs.Validate counts for tx.
func protoTxSize(tx []byte) int64 { return cmttypes.ComputeProtoSizeForTxs([]cmttypes.Tx{tx}) }

// ProcessProposal rejects a block holding any transaction that is
// undecodable, unauthenticated or would fail: an honest proposer never
// includes one. The proposal's last commit is the one FinalizeBlock will
// get, so the validator-quorum check is the same.
func (a *App) ProcessProposal(_ context.Context, req *abci.RequestProcessProposal) (*abci.ResponseProcessProposal, error) {
	info := ledger.BlockInfo{Height: req.Height, Signers: commitSigners(req.ProposedLastCommit)}
	if err := a.ledger.ProcessTxs(info, req.Txs); err != nil {
		a.logger.Info("rejected proposal", "height", req.Height, "proposer", fmt.Sprintf("%X", req.ProposerAddress), "reason", err)
		return &abci.ResponseProcessProposal{Status: abci.ResponseProcessProposal_REJECT}, nil
	}
	return &abci.ResponseProcessProposal{Status: abci.ResponseProcessProposal_ACCEPT}, nil
}

// FinalizeBlock executes the block on the ledger's overlay and returns one
// result per transaction, the block events, the new app hash and the
// validator updates. The ledger fails only when its storage does; the error
// is returned so that consensus halts instead of committing a state it
// could not compute.
func (a *App) FinalizeBlock(_ context.Context, req *abci.RequestFinalizeBlock) (*abci.ResponseFinalizeBlock, error) {
	info := ledger.BlockInfo{Height: req.Height, Signers: commitSigners(req.DecidedLastCommit)}
	observe := a.metrics.startBlock()
	res, err := a.ledger.FinalizeBlock(info, req.Txs)
	observe(res)
	if err != nil {
		a.logger.Error("cannot execute block: halting", "height", req.Height, "err", err)
		return nil, fmt.Errorf("execute block %d: %w", req.Height, err)
	}
	if len(res.TxResults) != len(req.Txs) {
		return nil, fmt.Errorf("execute block %d: ledger returned %d results for %d transactions", req.Height, len(res.TxResults), len(req.Txs))
	}
	out := &abci.ResponseFinalizeBlock{
		TxResults:        make([]*abci.ExecTxResult, len(res.TxResults)),
		Events:           append(abciEvents(res.Events), a.misbehaviorEvents(req.Height, req.Misbehavior)...),
		AppHash:          res.AppHash,
		ValidatorUpdates: make([]abci.ValidatorUpdate, 0, len(res.ValidatorUpdates)),
	}
	for i, r := range res.TxResults {
		tr := &abci.ExecTxResult{Code: uint32(r.Code), Log: r.Log, Events: abciEvents(r.Events)}
		if r.Code != ledger.CodeOK {
			tr.Codespace = Codespace
		}
		out.TxResults[i] = tr
	}
	for _, u := range res.ValidatorUpdates {
		out.ValidatorUpdates = append(out.ValidatorUpdates, abci.Ed25519ValidatorUpdate(u.PubKey, u.Power))
	}
	return out, nil
}

// extendedCommitSigners is commitSigners for the proposer's own last
// commit, the one its block will carry.
func extendedCommitSigners(c abci.ExtendedCommitInfo) [][]byte {
	signers := make([][]byte, 0, len(c.Votes))
	for _, v := range c.Votes {
		if v.BlockIdFlag == cmtproto.BlockIDFlagCommit {
			signers = append(signers, v.Validator.Address)
		}
	}
	return signers
}

// commitSigners lists the addresses of the validators whose precommit for
// the block is in the last commit.
func commitSigners(c abci.CommitInfo) [][]byte {
	signers := make([][]byte, 0, len(c.Votes))
	for _, v := range c.Votes {
		if v.BlockIdFlag == cmtproto.BlockIDFlagCommit {
			signers = append(signers, v.Validator.Address)
		}
	}
	return signers
}

// abciEvents converts ledger events; every attribute is indexed so that
// tx_search can find a transaction by any of them.
func abciEvents(evs []ledger.Event) []abci.Event {
	if len(evs) == 0 {
		return nil
	}
	out := make([]abci.Event, len(evs))
	for i, e := range evs {
		attrs := make([]abci.EventAttribute, len(e.Attributes))
		for j, at := range e.Attributes {
			attrs[j] = abci.EventAttribute{Key: at.Key, Value: at.Value, Index: true}
		}
		out[i] = abci.Event{Type: e.Type, Attributes: attrs}
	}
	return out
}

// Commit writes the block's state durably, then runs the after-commit hook.
// A storage failure is returned so that consensus halts: the node must not
// go on from a state it did not save.
func (a *App) Commit(_ context.Context, _ *abci.RequestCommit) (*abci.ResponseCommit, error) {
	observe := a.metrics.startCommit()
	if err := a.ledger.Commit(); err != nil {
		if a.diskFault != nil {
			a.diskFault(err)
		}
		a.logger.Error("cannot commit block: halting", "err", err)
		return nil, fmt.Errorf("commit: %w", err)
	}
	observe(a.ledger.LastHeight())
	a.snapshots.maybeTake(a.ledger.View())
	a.mu.Lock()
	a.genesisNodes = nil // the committed state answers the peer filter from now on
	a.mu.Unlock()
	if a.afterCommit != nil {
		a.afterCommit(a.ledger.LastHeight())
	}
	return &abci.ResponseCommit{RetainHeight: a.retainHeight(a.ledger.LastHeight())}, nil
}
