package client

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tallyledger/tally/crypto"
	"github.com/tallyledger/tally/ledger"
)

// ErrExpired matches a transaction whose expiry height passed before any
// node committed it: it can never be committed, and may be signed again.
var ErrExpired = errors.New("transaction expired")

// Failover submits a signed transaction to a list of nodes in turn: to the
// first that answers, and, when that node stops answering before the
// transaction is in a block, the same bytes again to the next one, until
// a node reports it committed or its expiry height passes. The same bytes
// carry the same nonce, so the transaction commits at most once however
// many nodes received it.
type Failover struct {
	// Nodes in the order they are tried (at least one).
	Nodes []*Client
	// OnSwitch, if set, is told each time the submission moves on from a
	// node, and why.
	OnSwitch func(from, to string, reason error)
	// Resubmit is how long a transaction may stay out of a block on a node
	// that answers before its bytes are sent again (default 10s): a node
	// restarted meanwhile has lost its mempool.
	Resubmit time.Duration
}

// FailoverReport says how a submission went.
type FailoverReport struct {
	Hash string `json:"hash"`
	// Node is the node that reported the transaction committed.
	Node string `json:"node"`
	// SubmittedTo lists the nodes that received the bytes, in order.
	SubmittedTo []string `json:"submitted_to"`
}

// Commit submits tx and waits for its block. It returns the committed
// transaction (with its *TxError if it failed in the block). A rejection
// by CheckTx ends the submission (a bad nonce first checks whether the
// transaction is already in a block), except a refusal for now (a full
// mempool, too many pending transactions of the sender), which moves on
// to the next node like a node that does not answer; an expiry height passed without
// the transaction in a block gives an error matching ErrExpired;
// otherwise it tries until ctx ends.
func (f *Failover) Commit(ctx context.Context, tx []byte) (*TxResult, *FailoverReport, error) {
	if len(f.Nodes) == 0 {
		return nil, nil, errors.New("no node to submit to")
	}
	decoded, err := ledger.DecodeTx(tx)
	if err != nil {
		return nil, nil, fmt.Errorf("transaction cannot be decoded: %v", err)
	}
	expiry := decoded.Body.Expiry
	resubmit := f.Resubmit
	if resubmit <= 0 {
		resubmit = 10 * time.Second
	}
	rep := &FailoverReport{Hash: ledger.TxHashString(tx)}
	k := 0
	var lastErr error
	for {
		c := f.Nodes[k%len(f.Nodes)]
		res, err := f.submitAndWait(ctx, c, tx, expiry, resubmit, rep)
		if err == nil || res != nil || errors.Is(err, ErrExpired) || isFinal(err) {
			if res != nil {
				rep.Node = c.NodeURL()
			}
			return res, rep, err
		}
		if ctx.Err() != nil {
			if lastErr == nil {
				lastErr = err
			}
			return nil, rep, fmt.Errorf("transaction %s not committed (submitted to %v): %w; last error: %v", rep.Hash, rep.SubmittedTo, ctx.Err(), lastErr)
		}
		lastErr = err
		next := f.Nodes[(k+1)%len(f.Nodes)]
		if f.OnSwitch != nil && len(f.Nodes) > 1 {
			f.OnSwitch(c.NodeURL(), next.NodeURL(), err)
		}
		k++
		if k%len(f.Nodes) == 0 {
			c.pause(ctx) // every node tried: pause before the next round
		}
	}
}

// isFinal reports whether err ends the submission everywhere: the
// ledger refused the transaction.
func isFinal(err error) bool {
	var te *TxError
	return errors.As(err, &te)
}

// submitAndWait sends tx to c and waits there for its block. A nil result
// with a non-final error means: try the next node.
func (f *Failover) submitAndWait(ctx context.Context, c *Client, tx []byte, expiry uint64, resubmit time.Duration, rep *FailoverReport) (*TxResult, error) {
	hash := rep.Hash
	for {
		_, err := c.BroadcastSync(ctx, tx)
		var te *TxError
		switch {
		case err == nil, errors.Is(err, ErrAlreadySubmitted):
			if len(rep.SubmittedTo) == 0 || rep.SubmittedTo[len(rep.SubmittedTo)-1] != c.NodeURL() {
				rep.SubmittedTo = append(rep.SubmittedTo, c.NodeURL())
			}
		case errors.As(err, &te) && (te.Code == ledger.CodeBadNonce || te.Code == ledger.CodeExpired):
			// Perhaps this very transaction took the nonce already.
			if res, terr := c.Tx(ctx, hash); terr == nil {
				return res, res.Err()
			}
			if te.Code == ledger.CodeBadNonce && strings.Contains(te.Log, "is ahead") {
				// This node has not seen the account's previous transaction
				// yet (it is behind): another node, or this one later, will.
				return nil, fmt.Errorf("node %s is behind: %s", c.NodeURL(), te.Log)
			}
			if te.Code == ledger.CodeExpired {
				return nil, fmt.Errorf("transaction %s %w (node %s: %s)", hash, ErrExpired, c.NodeURL(), te.Log)
			}
			return nil, err
		case errors.As(err, &te) && (te.Code == ledger.CodeMempoolFull || te.Code == ledger.CodeTooManyPending):
			// Refused for now: the next block frees room, here or on
			// another node.
			return nil, fmt.Errorf("node %s is busy: %s", c.NodeURL(), te.Log)
		default:
			return nil, err
		}
		since := time.Now()
		for time.Since(since) < resubmit {
			res, err := c.Tx(ctx, hash)
			if err == nil {
				return res, res.Err()
			}
			if !errors.Is(err, ErrNotFound) {
				return nil, err // the node stopped answering
			}
			if expiry > 0 {
				st, err := c.Status(ctx)
				if err != nil {
					return nil, err
				}
				if st.LatestHeight > int64(expiry) {
					// Committed at expiry at the latest: look once more.
					if res, err := c.Tx(ctx, hash); err == nil {
						return res, res.Err()
					}
					return nil, fmt.Errorf("transaction %s %w: height %d passed its expiry %d on %s without it in a block", hash, ErrExpired, st.LatestHeight, expiry, c.NodeURL())
				}
			}
			if !c.pause(ctx) {
				return nil, ctx.Err()
			}
		}
	}
}

// SubmitVia is Submit over several nodes: the chain ID and the nonce come
// from the first node that answers, and the signed transaction goes
// through f.Commit, so that a node dying before the block does not lose
// the send. opts.Wait is implied; opts.WaitTimeout bounds the whole
// submission.
func SubmitVia(ctx context.Context, f *Failover, key *crypto.PrivKey, body ledger.Body, opts SubmitOptions) (*Submitted, *FailoverReport, error) {
	timeout := opts.WaitTimeout
	if timeout <= 0 {
		timeout = DefaultWaitTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var firstErr error
	for _, c := range f.Nodes {
		chainID := opts.ChainID
		var err error
		if chainID == "" {
			chainID, err = c.ChainID(ctx)
		}
		if err == nil {
			if opts.Nonce != nil {
				body.Nonce = *opts.Nonce
			} else {
				body.Nonce, err = c.NextNonce(ctx, key.PubKey().Address())
			}
		}
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		if err := body.ValidateBasic(); err != nil {
			return nil, nil, fmt.Errorf("transaction is invalid: %v", err)
		}
		tx := ledger.NewSignedTx(chainID, body, key).Encode()
		out := &Submitted{Hash: ledger.TxHashString(tx), Nonce: body.Nonce, ChainID: chainID}
		res, rep, err := f.Commit(ctx, tx)
		out.Result = res
		return out, rep, err
	}
	return nil, nil, fmt.Errorf("no node answered: %w", firstErr)
}
