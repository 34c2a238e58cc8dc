package app

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	rpcserver "github.com/cometbft/cometbft/rpc/jsonrpc/server"
	rpctypes "github.com/cometbft/cometbft/rpc/jsonrpc/types"
)

// The ledger API's own limits, on top of CometBFT's [rpc] ones (body and
// header size, open connections): each applies to what actually runs.

// Defaults of the API limits in app.toml.
const (
	DefaultAPIMaxWebsockets       = 100
	DefaultAPIMaxConnectionsPerIP = 100
)

// apiLimits are the API's settings from app.toml; zero values are the
// defaults.
type apiLimits struct {
	allowedHosts  []string
	maxWebsockets int
	maxConnsPerIP int
}

func (l apiLimits) websockets() int { return cmp.Or(l.maxWebsockets, DefaultAPIMaxWebsockets) }
func (l apiLimits) connsPerIP() int { return cmp.Or(l.maxConnsPerIP, DefaultAPIMaxConnectionsPerIP) }

// apiIdleTimeout closes a kept-alive connection idle this long.
const apiIdleTimeout = 60 * time.Second

// hostOfListenAddr is the host of a tcp://host:port listen address.
func hostOfListenAddr(laddr string) string {
	a := strings.TrimPrefix(laddr, "tcp://")
	if h, _, err := net.SplitHostPort(a); err == nil {
		return h
	}
	return ""
}

// apiGuard checks every request before anything runs:
//   - Host must be an allowed name (localhost names, the listen address's
//     host, api_allowed_hosts): a page of another site that a browser
//     reaches through DNS rebinding carries its own name and is refused;
//   - a POST must declare a JSON content type, which a browser sends only
//     after a CORS preflight: a plain HTML form of another site cannot
//     post to the API (CSRF);
//   - a JSON-RPC batch is counted on the raw body, before anything
//     rewrites it, and a body that is neither one object nor an array of
//     them is refused, so no request escapes the batch limit;
//   - websockets beyond maxWebsockets at once are refused, leaving the
//     other connections to plain requests.
type apiGuard struct {
	next          http.Handler
	maxBatch      int
	maxWebsockets int64
	allowedHosts  map[string]bool
	websockets    atomic.Int64
}

func newAPIGuard(next http.Handler, maxBatch, maxWebsockets int, hosts []string) *apiGuard {
	g := &apiGuard{next: next, maxBatch: maxBatch, maxWebsockets: int64(maxWebsockets), allowedHosts: map[string]bool{}}
	for _, h := range append([]string{"localhost", "127.0.0.1", "::1"}, hosts...) {
		if h = strings.ToLower(strings.Trim(h, "[]")); h != "" && h != "0.0.0.0" && h != "::" {
			g.allowedHosts[h] = true
		}
	}
	return g
}

func (g *apiGuard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if host := requestHost(r.Host); !g.allowedHosts[host] {
		refuse(w, http.StatusForbidden, fmt.Errorf("host %q is not allowed to use this API: add it to api_allowed_hosts in app.toml", r.Host))
		return
	}
	if r.Method == http.MethodPost {
		mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || mt != "application/json" {
			refuse(w, http.StatusUnsupportedMediaType, fmt.Errorf("content type %q: JSON-RPC requests must be sent as application/json", r.Header.Get("Content-Type")))
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			refuse(w, http.StatusBadRequest, fmt.Errorf("error reading request body: %w", err))
			return
		}
		if err := checkBatch(body, g.maxBatch); err != nil {
			res := rpctypes.RPCInvalidRequestError(nil, err)
			if errors.Is(err, errUnparsable) {
				res = rpctypes.RPCParseError(err)
			}
			_ = rpcserver.WriteRPCResponseHTTPError(w, http.StatusBadRequest, res)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	if isWebsocketUpgrade(r) {
		if g.websockets.Add(1) > g.maxWebsockets {
			g.websockets.Add(-1)
			refuse(w, http.StatusServiceUnavailable, fmt.Errorf("too many websockets open (at most %d): retry later", g.maxWebsockets))
			return
		}
		defer g.websockets.Add(-1) // the websocket handlers return when the connection ends
	}
	g.next.ServeHTTP(w, r)
}

// checkBatch counts the requests of a JSON-RPC body as written: one
// object, or an array of at most maxBatch elements (0: no limit). Any
// other body is refused here, so a later rewrite cannot turn something
// uncounted into requests that run.
func checkBatch(body []byte, maxBatch int) error {
	t := bytes.TrimSpace(body)
	if len(t) == 0 || t[0] != '[' {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(t, &obj); err != nil || obj == nil {
			return fmt.Errorf("%w: the body is not a JSON-RPC request object or batch: %v", errUnparsable, errOr(err, "null"))
		}
		return nil
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(t, &elems); err != nil {
		return fmt.Errorf("%w: the batch does not parse as a JSON array: %v", errUnparsable, err)
	}
	if maxBatch > 0 && len(elems) > maxBatch {
		return fmt.Errorf("batch request exceeds maximum (%d) allowed number of requests: %d requests", maxBatch, len(elems))
	}
	if len(elems) == 0 {
		return fmt.Errorf("empty batch")
	}
	return nil
}

// errUnparsable marks a body that is not JSON (a JSON-RPC parse error).
var errUnparsable = errors.New("parse error")

func errOr(err error, s string) string {
	if err != nil {
		return err.Error()
	}
	return s
}

func isWebsocketUpgrade(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// requestHost is the lower-case host name of a Host header, without port
// or IPv6 brackets.
func requestHost(h string) string {
	if host, _, err := net.SplitHostPort(h); err == nil {
		h = host
	}
	return strings.ToLower(strings.Trim(h, "[]"))
}

func refuse(w http.ResponseWriter, status int, err error) {
	_ = rpcserver.WriteRPCResponseHTTPError(w, status, rpctypes.RPCInvalidRequestError(nil, err))
}

// perIPListener closes connections from a client address that already
// holds max open connections, so that one client cannot take every
// connection the API accepts.
type perIPListener struct {
	net.Listener
	max  int
	mu   sync.Mutex
	open map[string]int
}

func limitPerIP(ln net.Listener, max int) net.Listener {
	if max <= 0 {
		return ln
	}
	return &perIPListener{Listener: ln, max: max, open: map[string]int{}}
}

func (l *perIPListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := c.RemoteAddr().String()
		if host, _, err := net.SplitHostPort(ip); err == nil {
			ip = host
		}
		l.mu.Lock()
		if l.open[ip] >= l.max {
			l.mu.Unlock()
			c.Close()
			continue
		}
		l.open[ip]++
		l.mu.Unlock()
		return &ipConn{Conn: c, release: sync.OnceFunc(func() {
			l.mu.Lock()
			if l.open[ip]--; l.open[ip] <= 0 {
				delete(l.open, ip)
			}
			l.mu.Unlock()
		})}, nil
	}
}

type ipConn struct {
	net.Conn
	release func()
}

func (c *ipConn) Close() error {
	c.release()
	return c.Conn.Close()
}

// clientGone stops a request whose client has gone away (its HTTP request
// context is done), so that the rest of an abandoned batch does not run.
func clientGone(ctx *rpctypes.Context) error {
	if ctx != nil && ctx.Context().Err() != nil {
		return errors.New("the client went away: request not run")
	}
	return nil
}
