package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/libs/log"
	"github.com/cometbft/cometbft/rpc/client/local"
	ctypes "github.com/cometbft/cometbft/rpc/core/types"
	rpcserver "github.com/cometbft/cometbft/rpc/jsonrpc/server"
	rpctypes "github.com/cometbft/cometbft/rpc/jsonrpc/types"
	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/rs/cors"

	"github.com/tallyledger/tally/crypto"
	"github.com/tallyledger/tally/ledger"
)

// apiLedger is what the ledger API reads of the ledger: the committed
// state and the nonces of transactions waiting in the mempool.
// *ledger.Ledger is one.
type apiLedger interface {
	View() *ledger.View
	LastHeight() int64
	PendingNonce(addr crypto.Address) (nonce uint64, pending bool, err error)
}

// consensusRPC is the part of CometBFT's RPC that the ledger API forwards
// to. CometBFT's in-process client (*local.Local) is one.
type consensusRPC interface {
	Status(ctx context.Context) (*ctypes.ResultStatus, error)
	BroadcastTxSync(ctx context.Context, tx cmttypes.Tx) (*ctypes.ResultBroadcastTx, error)
}

// peerSet says which nodes the ledger allows and which are connected.
// *Node is one.
type peerSet interface {
	NodeID() string
	peerIDs() []string
	allowedNodes(v *ledger.View) ([]string, error)
}

var (
	_ apiLedger    = (*ledger.Ledger)(nil)
	_ consensusRPC = (*local.Local)(nil)
	_ peerSet      = (*Node)(nil)
)

// apiBackend is everything the ledger API's methods read.
type apiBackend struct {
	ledger apiLedger
	rpc    consensusRPC
	peers  peerSet
}

// apiServer serves the ledger JSON-RPC API with CometBFT's JSON-RPC server:
// JSON-RPC 2.0 over POST /, URI requests GET /<method>?arg=value, and the
// same methods over a websocket at /websocket. Its limits mirror the node's
// [rpc] settings: body size, header size, batch size, open connections.
type apiServer struct {
	b       apiBackend
	logger  log.Logger
	laddr   string
	rpcConf *cmtcfg.RPCConfig // CORS and the websocket buffer
	conf    *rpcserver.Config
	pages   []page // other HTTP handlers beside the methods (health, explorer)
	limits  apiLimits

	mu        sync.Mutex
	ln        net.Listener
	srv       *http.Server
	hijacked  map[net.Conn]struct{} // websocket connections, which Server.Close does not close
	serveDone chan struct{}
}

// page is an HTTP handler the API server serves beside its methods.
type page struct {
	pattern string // as http.ServeMux takes it
	handler http.Handler
}

// newAPIServer makes the ledger API server for laddr with the limits of
// CometBFT's [rpc] section rc, serving pages beside the methods.
func newAPIServer(b apiBackend, laddr string, rc *cmtcfg.RPCConfig, logger log.Logger, pages ...page) *apiServer {
	return &apiServer{b: b, logger: logger, laddr: laddr, rpcConf: rc, conf: apiServerLimits(rc),
		pages: pages, hijacked: map[net.Conn]struct{}{}}
}

// apiServerLimits are CometBFT's JSON-RPC server settings for the limits of
// the node's [rpc] section.
func apiServerLimits(rc *cmtcfg.RPCConfig) *rpcserver.Config {
	conf := rpcserver.DefaultConfig()
	conf.MaxBodyBytes = rc.MaxBodyBytes
	conf.MaxHeaderBytes = rc.MaxHeaderBytes
	conf.MaxRequestBatchSize = rc.MaxRequestBatchSize
	conf.MaxOpenConnections = rc.MaxOpenConnections
	if conf.WriteTimeout <= rc.TimeoutBroadcastTxCommit {
		conf.WriteTimeout = rc.TimeoutBroadcastTxCommit + time.Second
	}
	return conf
}

// listen binds the listen address (before CometBFT starts, so that a taken
// port fails the start cleanly).
func (s *apiServer) listen() error {
	ln, err := rpcserver.Listen(s.laddr, s.conf.MaxOpenConnections)
	if err != nil {
		return fmt.Errorf("ledger API address %s: %w", s.laddr, err)
	}
	ln = limitPerIP(ln, s.limits.connsPerIP())
	s.mu.Lock()
	s.ln = ln
	s.mu.Unlock()
	return nil
}

// handler is the API's HTTP handler with CometBFT's middleware (body limit,
// batch limit, panic recovery).
func (s *apiServer) handler() http.Handler {
	routes := s.routes()
	mux := http.NewServeMux()
	wm := rpcserver.NewWebsocketManager(routes,
		rpcserver.ReadLimit(s.conf.MaxBodyBytes),
		rpcserver.WriteChanCapacity(s.rpcConf.WebSocketWriteBufferSize),
	)
	wm.SetLogger(s.logger.With("protocol", "websocket"))
	mux.HandleFunc("/websocket", wm.WebsocketHandler)
	rpcserver.RegisterRPCFuncs(mux, routes, s.logger)
	for _, p := range s.pages {
		mux.Handle(p.pattern, p.handler)
	}

	var h http.Handler = fillMissingParams(mux)
	if rc := s.rpcConf; rc.IsCorsEnabled() {
		h = cors.New(cors.Options{
			AllowedOrigins: rc.CORSAllowedOrigins,
			AllowedMethods: rc.CORSAllowedMethods,
			AllowedHeaders: rc.CORSAllowedHeaders,
		}).Handler(h)
	}
	// The guard sees the body as the client sent it (after the body
	// limit), before fillMissingParams may rewrite it.
	hosts := append([]string{requestHost(hostOfListenAddr(s.laddr))}, s.limits.allowedHosts...)
	h = newAPIGuard(h, s.conf.MaxRequestBatchSize, s.limits.websockets(), hosts)
	return rpcserver.PreChecksHandler(rpcserver.RecoverAndLogHandler(h, s.logger), s.conf)
}

// serve starts serving on the listener bound by listen.
func (s *apiServer) serve() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return
	}
	s.srv = &http.Server{
		Handler:           s.handler(),
		ReadTimeout:       s.conf.ReadTimeout,
		ReadHeaderTimeout: s.conf.ReadTimeout,
		IdleTimeout:       apiIdleTimeout,
		WriteTimeout:      s.conf.WriteTimeout,
		MaxHeaderBytes:    s.conf.MaxHeaderBytes,
		ConnState:         s.trackHijacked,
	}
	s.serveDone = make(chan struct{})
	srv, ln, done := s.srv, s.ln, s.serveDone
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
			s.logger.Error("ledger API server stopped", "err", err)
		}
	}()
	s.logger.Info("ledger API listening", "addr", ln.Addr().String())
}

func (s *apiServer) trackHijacked(c net.Conn, state http.ConnState) {
	if state != http.StateHijacked {
		return
	}
	s.mu.Lock()
	s.hijacked[c] = struct{}{}
	s.mu.Unlock()
}

// close stops serving and closes every connection, websockets included.
func (s *apiServer) close() {
	s.mu.Lock()
	srv, ln, done := s.srv, s.ln, s.serveDone
	conns := s.hijacked
	s.hijacked = map[net.Conn]struct{}{}
	s.srv, s.ln = nil, nil
	s.mu.Unlock()
	if srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := srv.Shutdown(ctx); err != nil {
			srv.Close()
		}
		cancel()
	} else if ln != nil {
		ln.Close()
	}
	for c := range conns {
		c.Close()
	}
	if done != nil {
		<-done
	}
}

// addr is the bound address once listening, else the configured one.
func (s *apiServer) addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		return "tcp://" + s.ln.Addr().String()
	}
	return s.laddr
}

// fillMissingParams gives JSON-RPC requests without "params" an empty
// object: CometBFT's server calls the method with too few arguments
// otherwise (a recovered panic and an HTTP 500), while with {} every
// argument takes its zero value and the method reports what is missing.
func fillMissingParams(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/" {
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			res := rpctypes.RPCInvalidRequestError(nil, fmt.Errorf("error reading request body: %w", err))
			if werr := rpcserver.WriteRPCResponseHTTPError(w, http.StatusBadRequest, res); werr != nil {
				return
			}
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(withParams(body)))
		next.ServeHTTP(w, r)
	})
}

// withParams adds "params":{} to each request object of body that lacks
// params; anything it cannot parse is returned unchanged for the server to
// reject.
func withParams(body []byte) []byte {
	t := bytes.TrimSpace(body)
	if len(t) == 0 {
		return body
	}
	fill := func(m map[string]json.RawMessage) bool {
		if p, ok := m["params"]; !ok || len(p) == 0 || bytes.Equal(bytes.TrimSpace(p), []byte("null")) {
			m["params"] = json.RawMessage("{}")
			return true
		}
		return false
	}
	if t[0] == '[' {
		var reqs []map[string]json.RawMessage
		if err := json.Unmarshal(t, &reqs); err != nil {
			return body
		}
		changed := false
		for _, m := range reqs {
			if m != nil && fill(m) {
				changed = true
			}
		}
		if !changed {
			return body
		}
		out, err := json.Marshal(reqs)
		if err != nil {
			return body
		}
		return out
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(t, &m); err != nil || m == nil || !fill(m) {
		return body
	}
	out, err := json.Marshal(m)
	if err != nil {
		return body
	}
	return out
}
