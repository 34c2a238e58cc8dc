package client

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tallyledger/tally/crypto"
	"github.com/tallyledger/tally/ledger"
)

// SubmitOptions control Submit.
type SubmitOptions struct {
	// ChainID to sign for; "" asks the node.
	ChainID string
	// Nonce to use; nil takes the account's pending nonce from the node and,
	// if another transaction of the same account takes that nonce first,
	// signs again with the next one (up to NonceRetries times).
	Nonce *uint64
	// NonceRetries bounds re-signing after a nonce race (default 32).
	NonceRetries int
	// Wait for the block (WaitTx) after the broadcast.
	Wait bool
	// WaitTimeout bounds the wait for the block (default DefaultWaitTimeout).
	WaitTimeout time.Duration
}

// DefaultWaitTimeout is how long Submit and BroadcastSigned wait for a
// transaction's block by default.
const DefaultWaitTimeout = 30 * time.Second

// Submitted is the outcome of Submit.
type Submitted struct {
	Hash    string    `json:"hash"`
	Nonce   uint64    `json:"nonce"`
	ChainID string    `json:"chain_id"`
	Result  *TxResult `json:"result,omitempty"` // set when waited for
}

// Submit fills in body's nonce, signs it with key, broadcasts it (sync)
// and, with opts.Wait, waits for its block. A rejection in CheckTx or a
// failure in the block is returned as a *TxError; the Submitted value is
// returned with it whenever the transaction got a hash.
func (c *Client) Submit(ctx context.Context, key *crypto.PrivKey, body ledger.Body, opts SubmitOptions) (*Submitted, error) {
	chainID := opts.ChainID
	if chainID == "" {
		var err error
		if chainID, err = c.ChainID(ctx); err != nil {
			return nil, err
		}
	}
	sender := key.PubKey().Address()
	retries := opts.NonceRetries
	if retries <= 0 {
		retries = 32
	}
	for attempt := 0; ; attempt++ {
		if opts.Nonce != nil {
			body.Nonce = *opts.Nonce
		} else {
			n, err := c.NextNonce(ctx, sender)
			if err != nil {
				return nil, err
			}
			body.Nonce = n
		}
		if err := body.ValidateBasic(); err != nil {
			return nil, fmt.Errorf("transaction is invalid: %v", err)
		}
		tx := ledger.NewSignedTx(chainID, body, key).Encode()
		out := &Submitted{Nonce: body.Nonce, ChainID: chainID}
		hash, err := c.BroadcastSync(ctx, tx)
		out.Hash = hash
		if err != nil {
			var te *TxError
			lostRace := (errors.As(err, &te) && te.Code == ledger.CodeBadNonce) ||
				// An identical transaction (same body and nonce, so the same
				// deterministic signature) sent by another process took it.
				errors.Is(err, ErrAlreadySubmitted)
			if opts.Nonce == nil && attempt < retries && lostRace {
				continue // another transaction of this account took the nonce: sign with the next one
			}
			return out, err
		}
		if !opts.Wait {
			return out, nil
		}
		out.Result, err = c.waitFor(ctx, hash, opts.WaitTimeout)
		return out, err
	}
}

// waitFor waits for hash's block for at most timeout (DefaultWaitTimeout
// if 0).
func (c *Client) waitFor(ctx context.Context, hash string, timeout time.Duration) (*TxResult, error) {
	if timeout <= 0 {
		timeout = DefaultWaitTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return c.WaitTx(ctx, hash)
}
