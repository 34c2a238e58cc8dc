package ledger

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/tallyledger/tally/crypto"
)

// The block pipeline. Every use of a block's transactions (choosing a
// proposal, checking one, executing the decided block) goes through the
// same steps: decode each transaction, verify the signatures not verified
// yet (in parallel), open an overlay of the state the block executes on,
// start the block (expire proposals), then run the transactions in order.

// blockPass is one pass of a block's transactions over an overlay of the
// state: the effects of the transactions it runs stay in blk.
type blockPass struct {
	height int64
	env    *execEnv
	blk    *overlay
	txs    []*decodedTx
	events []Event // from the start of the block
}

// newBlockPass decodes and verifies txs and starts block b on an overlay of
// the state blocks execute on. signersKnown says whether b.Signers are the
// real signers of the last commit (FinalizeBlock) or unknown (proposals),
// which decides the validator-change check. The caller holds l.mu and has
// checked the height. events says whether the results carry their events
// (see execEnv.events). The error is a storage failure.
func (l *Ledger) newBlockPass(b BlockInfo, signersKnown, events bool, txs [][]byte) (*blockPass, error) {
	decoded := l.verify.decodeAll(l.ChainID(), txs)
	p := &blockPass{height: b.Height, env: newExecEnv(b, signersKnown, events), blk: newOverlay(l.execBase()), txs: decoded}
	begin, err := beginBlock(p.blk, p.env)
	if err != nil {
		return nil, fmt.Errorf("block %d: %w", b.Height, err)
	}
	p.events = begin
	return p, nil
}

// run executes transaction i on the block, as a block does: a rejected
// but authenticated transaction still consumes its nonce. The error is a
// storage failure.
func (p *blockPass) run(i int) (TxResult, error) {
	r, err := runTx(p.blk, p.env, p.txs[i])
	if err != nil {
		return r, fmt.Errorf("block %d, transaction %d: %w", p.height, i, err)
	}
	return r, nil
}

// try executes transaction i and keeps its effects only if it succeeds.
func (p *blockPass) try(i int) (TxResult, error) {
	r, err := tryTx(p.blk, p.env, p.txs[i])
	if err != nil {
		return r, fmt.Errorf("block %d, transaction %d: %w", p.height, i, err)
	}
	return r, nil
}

// tryTx runs d on its own overlay of parent and merges it into parent only
// if it succeeds: a transaction that fails leaves nothing behind, not even
// its nonce.
func tryTx(parent *overlay, env *execEnv, d *decodedTx) (TxResult, error) {
	tx := newOverlay(parent)
	r, err := runTx(tx, env, d)
	if err == nil && r.Code == CodeOK {
		tx.mergeInto(parent)
	}
	return r, err
}

// PreparedTxs is the outcome of PrepareTxs: the transactions of the
// proposal, in order, and the ones left out with the reason.
type PreparedTxs struct {
	Txs     [][]byte
	Omitted []OmittedTx
}

// OmittedTx is a transaction PrepareTxs left out of a proposal.
type OmittedTx struct {
	Index int    // position in the transactions offered
	Hash  string // upper-case hex
	// Code is the code the transaction would get; CodeOK when it did not
	// fit (it was not run).
	Code   Code
	Reason string
}

// PrepareTxs chooses a block proposal's transactions: in order, it keeps
// those that would succeed, as long as their total size (sizeOf each)
// stays within maxBytes and each sender has at most
// Options.MaxAccountTxsPerBlock of them (so that one account cannot fill a
// block), and says why it left each other one out. b.Signers are the
// signers of the last commit the proposal carries, so the validator-change
// check is the one ProcessTxs and FinalizeBlock apply. The error is for a wrong
// height or a storage failure: then nothing is proposed.
func (l *Ledger) PrepareTxs(b BlockInfo, txs [][]byte, maxBytes int64, sizeOf func([]byte) int64) (*PreparedTxs, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.ready(b.Height); err != nil {
		return nil, err
	}
	p, err := l.newBlockPass(b, true, false, txs)
	if err != nil {
		return nil, err
	}
	out := &PreparedTxs{}
	var size int64
	perSender := map[crypto.Address]int{}
	for i, d := range p.txs {
		n := sizeOf(d.raw)
		if size+n > maxBytes {
			out.Omitted = append(out.Omitted, OmittedTx{Index: i, Hash: TxHashString(d.raw), Code: CodeOK,
				Reason: fmt.Sprintf("%d bytes do not fit: %d of %d bytes taken", n, size, maxBytes)})
			continue
		}
		var sender crypto.Address
		if d.tx != nil {
			sender = d.sender
			if l.maxAccountPerBlk > 0 && perSender[sender] >= l.maxAccountPerBlk {
				out.Omitted = append(out.Omitted, OmittedTx{Index: i, Hash: TxHashString(d.raw), Code: CodeOK,
					Reason: fmt.Sprintf("%s already has %d transactions in this block, at most %d per block", sender, perSender[sender], l.maxAccountPerBlk)})
				continue
			}
		}
		r, err := p.try(i)
		if err != nil {
			return nil, err
		}
		if r.Code != CodeOK {
			out.Omitted = append(out.Omitted, OmittedTx{Index: i, Hash: TxHashString(d.raw), Code: r.Code, Reason: r.Log})
			continue
		}
		out.Txs = append(out.Txs, d.raw)
		size += n
		perSender[sender]++
	}
	return out, nil
}

// ProcessTxs checks a proposed block: it returns an error naming the first
// transaction that is undecodable, unauthenticated or would fail (an
// *Error with the transaction's code), or a storage failure (any other
// error). b.Signers are the signers of the proposal's last commit, the
// commit FinalizeBlock will get: the validator-change check is the same, so
// a block is never accepted with a transaction that will fail.
func (l *Ledger) ProcessTxs(b BlockInfo, txs [][]byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.ready(b.Height); err != nil {
		return err
	}
	l.processed = nil
	p, err := l.newBlockPass(b, true, true, txs)
	if err != nil {
		return err
	}
	results := make([]TxResult, len(p.txs))
	for i, d := range p.txs {
		r, err := p.run(i)
		if err != nil {
			return err
		}
		if r.Code != CodeOK {
			return Errorf(r.Code, "transaction %d (%s) would fail: %s", i, TxHashString(d.raw), r.Log)
		}
		results[i] = r
	}
	l.processed = &processedBlock{base: l.view.Load(), genesis: l.genesis, pass: p, results: results,
		signers: slices.Clone(b.Signers), signersRead: p.env.signersRead}
	return nil
}

// processedBlock is the outcome of the last proposal ProcessTxs accepted,
// kept so that FinalizeBlock need not decode and run the same transactions
// again when the decided block is that proposal. It is an optimization
// only: FinalizeBlock reuses it only for the very same transactions, at
// the same height, on the same committed state, and with the same signers
// of the last commit when a transaction looked at them, so the results
// are those a fresh execution gives; blocks replayed or block-synced, and
// proposals not processed, are simply executed.
type processedBlock struct {
	base        *View    // the committed state it ran on
	genesis     *overlay // the staged genesis state it ran on, if any
	pass        *blockPass
	results     []TxResult
	signers     [][]byte // of the proposal's last commit
	signersRead bool     // a transaction's outcome depended on them
}

// takeProcessed returns the processed pass of block b if it is reusable
// for txs, and forgets it either way. The caller holds l.mu.
func (l *Ledger) takeProcessed(b BlockInfo, txs [][]byte) *processedBlock {
	pb := l.processed
	l.processed = nil
	if pb == nil || pb.pass.height != b.Height || pb.base != l.view.Load() || pb.genesis != l.genesis || len(pb.pass.txs) != len(txs) {
		return nil
	}
	for i, d := range pb.pass.txs {
		if !bytes.Equal(d.raw, txs[i]) {
			return nil
		}
	}
	if pb.signersRead && !slices.EqualFunc(pb.signers, b.Signers, bytes.Equal) {
		return nil
	}
	return pb
}
