package client

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tallyledger/tally/crypto"
	"github.com/tallyledger/tally/ledger"
	"github.com/tallyledger/tally/wire"
)

// ErrAlreadySubmitted matches a broadcast of a transaction the node has
// already seen: it is in the mempool or in a block.
var ErrAlreadySubmitted = errors.New("transaction already submitted")

// TxResult is a transaction in a block, decoded, with its result.
type TxResult struct {
	Hash     string             `json:"hash"`
	Height   int64              `json:"height"`
	Index    uint32             `json:"index"`
	Code     uint32             `json:"code"`
	CodeName string             `json:"code_name"`
	Log      string             `json:"log"`
	Sender   string             `json:"sender"`
	Body     wire.BodyView      `json:"body"`
	Events   []wire.EventResult `json:"events"` // attributes in order
}

// OK reports whether the transaction succeeded.
func (r *TxResult) OK() bool { return r.Code == 0 }

// Err returns the transaction's failure as a *TxError, or nil if it
// succeeded.
func (r *TxResult) Err() error {
	if r.OK() {
		return nil
	}
	return &TxError{Hash: r.Hash, Height: r.Height, Code: ledger.Code(r.Code), Log: r.Log}
}

// parseHash reads a transaction hash in hex (either case, optional 0x).
func parseHash(hash string) ([]byte, error) {
	h := strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(hash), "0x"), "0X")
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != 32 {
		return nil, fmt.Errorf("bad transaction hash %q: expected 64 hex digits", hash)
	}
	return b, nil
}

// BroadcastSync submits tx bytes to the node's mempool and returns the
// transaction hash once CheckTx accepted it. A rejection is a *TxError
// carrying the ledger's code and log. While the node is still catching up
// (it refuses broadcasts then), it retries until ctx is done.
func (c *Client) BroadcastSync(ctx context.Context, tx []byte) (string, error) {
	hash := ledger.TxHashString(tx)
	for {
		reqCtx, cancel := c.withTimeout(ctx)
		res, err := c.rpc.BroadcastTxSync(reqCtx, tx)
		cancel()
		if err == nil {
			if res.Code != 0 {
				return hash, &TxError{Hash: hash, Code: ledger.Code(res.Code), Log: res.Log}
			}
			return hash, nil
		}
		err = wrapErr(c.nodeURL, "broadcast_tx_sync", err)
		msg := err.Error()
		switch {
		case strings.Contains(msg, "tx already exists in cache"):
			return hash, kindErrorf(ErrAlreadySubmitted, "transaction %s was already submitted to %s (it is in the mempool or in a block)", hash, c.nodeURL)
		case strings.Contains(msg, "catching up"):
			if !c.pause(ctx) {
				return hash, fmt.Errorf("node %s is still catching up with the chain and refuses transactions: %w", c.nodeURL, ctx.Err())
			}
		default:
			return hash, err
		}
	}
}

// pause waits one poll interval; false if ctx ended first.
func (c *Client) pause(ctx context.Context) bool {
	t := time.NewTimer(c.poll)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Tx returns a committed transaction by hash; a hash not in any block
// gives an error matching ErrNotFound.
func (c *Client) Tx(ctx context.Context, hash string) (*TxResult, error) {
	h, err := parseHash(hash)
	if err != nil {
		return nil, err
	}
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	var res wire.TxResult
	found, err := c.indexQuery(ctx, wire.QueryPathTx+hex.EncodeToString(h), &res)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("transaction %s is not in any block: %w", strings.ToUpper(hex.EncodeToString(h)), ErrNotFound)
	}
	return txResultFromWire(&res)
}

// indexQuery asks the node's ledger index (abci_query path) and decodes
// the JSON answer into out; it reports false for QueryCodeNotFound.
func (c *Client) indexQuery(ctx context.Context, path string, out any) (bool, error) {
	res, err := c.rpc.ABCIQuery(ctx, path, nil)
	if err != nil {
		return false, wrapErr(c.nodeURL, "abci_query", err)
	}
	r := res.Response
	switch {
	case r.Code == wire.QueryCodeNotFound:
		return false, nil
	case r.Code != 0:
		return false, fmt.Errorf("node %s: abci_query %s: code %d: %s", c.nodeURL, path, r.Code, r.Log)
	}
	if err := json.Unmarshal(r.Value, out); err != nil {
		return false, fmt.Errorf("node %s: abci_query %s: unexpected answer: %v", c.nodeURL, path, err)
	}
	return true, nil
}

// WaitTx waits until the transaction is in a block and returns it. The
// wait ends with a *TimeoutError ("transaction <hash> is not in a block
// yet after 30s") when ctx's deadline passes. A transaction that failed in its block
// is returned together with its *TxError.
func (c *Client) WaitTx(ctx context.Context, hash string) (*TxResult, error) {
	start := time.Now()
	if _, err := parseHash(hash); err != nil {
		return nil, err
	}
	for {
		res, err := c.Tx(ctx, hash)
		switch {
		case err == nil:
			return res, res.Err()
		case errors.Is(err, ErrNotFound):
		case ctx.Err() != nil:
		default:
			return nil, err
		}
		if !c.pause(ctx) {
			if errors.Is(ctx.Err(), context.Canceled) {
				return nil, fmt.Errorf("stopped waiting for transaction %s: %w", strings.ToUpper(hash), ctx.Err())
			}
			after := time.Since(start)
			if dl, ok := ctx.Deadline(); ok {
				after = dl.Sub(start)
			}
			return nil, &TimeoutError{Hash: strings.ToUpper(hash), After: after}
		}
	}
}

// History returns one page (from 1) of the transactions that touched the
// account, newest first, and the total number of such transactions.
func (c *Client) History(ctx context.Context, addr string, page, perPage int) ([]TxResult, int, error) {
	if page < 1 {
		return nil, 0, fmt.Errorf("page %d: expected 1 or more", page)
	}
	if perPage < 1 || perPage > wire.MaxHistoryPerPage {
		return nil, 0, fmt.Errorf("per-page %d: expected 1 to %d", perPage, wire.MaxHistoryPerPage)
	}
	a, err := crypto.ParseAddress(addr)
	if err != nil {
		return nil, 0, err
	}
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	var res wire.HistoryResult
	if _, err := c.indexQuery(ctx, wire.HistoryPath(a, uint64(page), uint64(perPage)), &res); err != nil {
		return nil, 0, err
	}
	out := make([]TxResult, 0, len(res.Txs))
	for i := range res.Txs {
		r, err := txResultFromWire(&res.Txs[i])
		if err != nil {
			return nil, 0, err
		}
		out = append(out, *r)
	}
	return out, int(res.TotalCount), nil
}

// txResultFromWire decodes a committed transaction as the node's ledger
// index returns it.
func txResultFromWire(res *wire.TxResult) (*TxResult, error) {
	r := &TxResult{
		Hash: res.Hash, Height: int64(res.Height), Index: res.Index,
		Code: res.Code, CodeName: ledger.Code(res.Code).String(), Log: res.Log, Events: res.Events,
	}
	raw, err := hex.DecodeString(res.Raw)
	if err != nil {
		return nil, fmt.Errorf("transaction %s in block %d: bad bytes from the node: %v", r.Hash, r.Height, err)
	}
	if h := ledger.TxHashString(raw); h != r.Hash {
		return nil, fmt.Errorf("transaction %s from the node hashes to %s", r.Hash, h)
	}
	tx, err := ledger.DecodeTx(raw)
	if err != nil {
		return nil, fmt.Errorf("transaction %s in block %d cannot be decoded: %v", r.Hash, r.Height, err)
	}
	r.Sender = tx.Sender().String()
	r.Body = wire.ViewBody(tx.Body)
	return r, nil
}
