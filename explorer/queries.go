package explorer

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	ctypes "github.com/cometbft/cometbft/rpc/core/types"
	rpcserver "github.com/cometbft/cometbft/rpc/jsonrpc/server"
	rpctypes "github.com/cometbft/cometbft/rpc/jsonrpc/types"
	cmttypes "github.com/cometbft/cometbft/types"
)

// Chain is what the explorer asks of the node: CometBFT's read-only queries
// and its new-block events (CometBFT's local RPC client has these methods).
type Chain interface {
	Status(ctx context.Context) (*ctypes.ResultStatus, error)
	Block(ctx context.Context, height *int64) (*ctypes.ResultBlock, error)
	BlockchainInfo(ctx context.Context, minHeight, maxHeight int64) (*ctypes.ResultBlockchainInfo, error)
	Commit(ctx context.Context, height *int64) (*ctypes.ResultCommit, error)
	Validators(ctx context.Context, height *int64, page, perPage *int) (*ctypes.ResultValidators, error)
	NetInfo(ctx context.Context) (*ctypes.ResultNetInfo, error)
	Subscribe(ctx context.Context, subscriber, query string, outCapacity ...int) (<-chan ctypes.ResultEvent, error)
	UnsubscribeAll(ctx context.Context, subscriber string) error
}

// NamesResult is the result of names.
type NamesResult struct {
	Names []Name `json:"names"`
}

// NewBlockResult is what subscribe_blocks pushes for each new block.
type NewBlockResult struct {
	Height string `json:"height"`
	Time   string `json:"time"` // RFC 3339, UTC
}

// queries answers the explorer's JSON-RPC methods.
type queries struct {
	o Options

	mu          sync.Mutex
	subscribers int
}

func newQueries(o Options) *queries { return &queries{o: o} }

// routes are the read-only methods, CometBFT's named as CometBFT names them
// (with the same parameters and results), so that the pages read CometBFT's
// documented JSON.
func (q *queries) routes() map[string]*rpcserver.RPCFunc {
	return map[string]*rpcserver.RPCFunc{
		"status":     rpcserver.NewRPCFunc(q.status, ""),
		"block":      rpcserver.NewRPCFunc(q.block, "height"),
		"blockchain": rpcserver.NewRPCFunc(q.blockchain, "minHeight,maxHeight"),
		"commit":     rpcserver.NewRPCFunc(q.commit, "height"),
		"validators": rpcserver.NewRPCFunc(q.validators, "height,page,per_page"),
		"net_info":   rpcserver.NewRPCFunc(q.netInfo, ""),
		"names":      rpcserver.NewRPCFunc(q.names, ""),
	}
}

func (q *queries) status(ctx *rpctypes.Context) (*ctypes.ResultStatus, error) {
	return q.o.Chain.Status(ctx.Context())
}

func (q *queries) block(ctx *rpctypes.Context, height *int64) (*ctypes.ResultBlock, error) {
	return q.o.Chain.Block(ctx.Context(), height)
}

func (q *queries) blockchain(ctx *rpctypes.Context, minHeight, maxHeight int64) (*ctypes.ResultBlockchainInfo, error) {
	return q.o.Chain.BlockchainInfo(ctx.Context(), minHeight, maxHeight)
}

func (q *queries) commit(ctx *rpctypes.Context, height *int64) (*ctypes.ResultCommit, error) {
	return q.o.Chain.Commit(ctx.Context(), height)
}

func (q *queries) validators(ctx *rpctypes.Context, height *int64, page, perPage *int) (*ctypes.ResultValidators, error) {
	return q.o.Chain.Validators(ctx.Context(), height, page, perPage)
}

func (q *queries) netInfo(ctx *rpctypes.Context) (*ctypes.ResultNetInfo, error) {
	return q.o.Chain.NetInfo(ctx.Context())
}

func (q *queries) names(*rpctypes.Context) (*NamesResult, error) {
	names := q.o.Names
	if names == nil {
		names = []Name{}
	}
	return &NamesResult{Names: names}, nil
}

// rpcHandler serves the methods as JSON-RPC 2.0 over POST / and as GET
// /<method>?arg=value, like CometBFT's RPC.
func (q *queries) rpcHandler() http.Handler {
	mux := http.NewServeMux()
	rpcserver.RegisterRPCFuncs(mux, q.routes(), q.o.Logger)
	return mux
}

// websocketHandler serves the same methods over a websocket, plus
// subscribe_blocks. Only pages of the same origin may connect: a websocket
// is not bound by CORS, so the Origin header is checked here.
func (q *queries) websocketHandler() http.Handler {
	routes := q.routes()
	routes["subscribe_blocks"] = rpcserver.NewWSRPCFunc(q.subscribeBlocks, "")
	wm := rpcserver.NewWebsocketManager(routes, rpcserver.ReadLimit(q.o.ReadLimit))
	wm.SetLogger(q.o.Logger.With("protocol", "explorer-websocket"))
	wm.CheckOrigin = sameOrigin
	return http.HandlerFunc(wm.WebsocketHandler)
}

// sameOrigin accepts a websocket whose Origin is the host it connects to
// (or no Origin: not a browser).
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == r.Host
}

// subscribeBlocks pushes the height and time of each new block to the
// websocket until it closes.
func (q *queries) subscribeBlocks(ctx *rpctypes.Context) (*struct{}, error) {
	if ctx.WSConn == nil {
		return nil, errors.New("subscribe_blocks works over the websocket only")
	}
	q.mu.Lock()
	if q.subscribers >= q.o.MaxSubscribers {
		q.mu.Unlock()
		return nil, fmt.Errorf("%d explorer websockets already follow new blocks, the most this node allows", q.o.MaxSubscribers)
	}
	q.subscribers++
	q.mu.Unlock()
	release := func() {
		q.mu.Lock()
		q.subscribers--
		q.mu.Unlock()
	}

	subscriber := "explorer:" + ctx.RemoteAddr()
	events, err := q.o.Chain.Subscribe(ctx.Context(), subscriber, cmttypes.EventQueryNewBlockHeader.String(), 16)
	if err != nil {
		release()
		return nil, fmt.Errorf("subscribe to new blocks: %w", err)
	}
	id := ctx.JSONReq.ID
	conn := ctx.WSConn
	go func() {
		defer release()
		defer func() {
			uctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := q.o.Chain.UnsubscribeAll(uctx, subscriber); err != nil {
				q.o.Logger.Debug("unsubscribe explorer websocket", "subscriber", subscriber, "err", err)
			}
		}()
		done := conn.Context().Done()
		for {
			select {
			case <-done:
				return
			case ev, ok := <-events:
				if !ok {
					return
				}
				h, ok := ev.Data.(cmttypes.EventDataNewBlockHeader)
				if !ok {
					continue
				}
				res := NewBlockResult{Height: strconv.FormatInt(h.Header.Height, 10), Time: h.Header.Time.UTC().Format(time.RFC3339Nano)}
				wctx, cancel := context.WithTimeout(conn.Context(), 10*time.Second)
				err := conn.WriteRPCResponse(wctx, rpctypes.NewRPCSuccessResponse(id, res))
				cancel()
				if err != nil {
					return // slow or gone: the page reconnects
				}
			}
		}
	}()
	return &struct{}{}, nil
}
