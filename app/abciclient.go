package app

import (
	"context"
	"sync"

	abcicli "github.com/cometbft/cometbft/abci/client"
	abci "github.com/cometbft/cometbft/abci/types"
	cmtsync "github.com/cometbft/cometbft/libs/sync"
	"github.com/cometbft/cometbft/proxy"
)

// NewParallelCheckTxClientCreator returns the ClientCreator a node runs the
// App with: like proxy.NewLocalClientCreator, every ABCI call is
// serialized on one mutex shared by the four connections, except CheckTx,
// which runs on the caller's goroutine without it. CometBFT's own local
// clients take the mutex for every CheckTxAsync (the mempool's call), so
// transactions arriving from several RPC connections and peers are
// checked one at a time however many cores the node has; this one lets
// their signatures be verified in parallel.
//
// That is safe because the ledger guards its check state itself: CheckTx
// verifies the signature first (no lock), then takes the check state's
// lock to apply the transaction, and never reads the state FinalizeBlock
// works on. CometBFT still keeps CheckTx away from Commit and the mempool
// update (the mempool's lock). The answer is handed to the mempool exactly
// as the local client does (the global callback, then the request's),
// before CheckTxAsync returns, so a sender's transactions arriving on one
// connection are checked and queued in their order.
func NewParallelCheckTxClientCreator(app abci.Application) proxy.ClientCreator {
	return &parallelCheckTxCreator{mtx: new(cmtsync.Mutex), app: app}
}

// clientCreator is the node's ClientCreator: CheckTx in parallel (the
// default) or every call serialized.
func clientCreator(a abci.Application, parallelCheckTx bool) proxy.ClientCreator {
	if parallelCheckTx {
		return NewParallelCheckTxClientCreator(a)
	}
	return proxy.NewLocalClientCreator(a)
}

type parallelCheckTxCreator struct {
	mtx *cmtsync.Mutex
	app abci.Application
}

func (c *parallelCheckTxCreator) NewABCIClient() (abcicli.Client, error) {
	return &parallelCheckTxClient{Client: abcicli.NewLocalClient(c.mtx, c.app), app: c.app}, nil
}

// parallelCheckTxClient is CometBFT's local client with CheckTx (sync and
// async) taken out from under its mutex.
type parallelCheckTxClient struct {
	abcicli.Client
	app abci.Application

	mu sync.RWMutex
	cb abcicli.Callback // the global callback (the mempool's)
}

// SetResponseCallback keeps the global callback for CheckTxAsync and hands
// it to the local client for the other calls.
func (c *parallelCheckTxClient) SetResponseCallback(cb abcicli.Callback) {
	c.mu.Lock()
	c.cb = cb
	c.mu.Unlock()
	c.Client.SetResponseCallback(cb)
}

// CheckTxAsync checks the transaction on the caller's goroutine and returns
// a completed request: the global callback has run, and a callback set on
// it afterwards runs at once.
func (c *parallelCheckTxClient) CheckTxAsync(ctx context.Context, req *abci.RequestCheckTx) (*abcicli.ReqRes, error) {
	res, err := c.app.CheckTx(ctx, req)
	if err != nil {
		return nil, err
	}
	rr := abcicli.NewReqRes(abci.ToRequestCheckTx(req))
	rr.Response = abci.ToResponseCheckTx(res)
	c.mu.RLock()
	cb := c.cb
	c.mu.RUnlock()
	if cb != nil {
		cb(rr.Request, rr.Response)
	}
	rr.InvokeCallback() // no request callback yet: marks it done
	rr.Done()
	return rr, nil
}

// CheckTx checks the transaction without the mutex.
func (c *parallelCheckTxClient) CheckTx(ctx context.Context, req *abci.RequestCheckTx) (*abci.ResponseCheckTx, error) {
	return c.app.CheckTx(ctx, req)
}
