package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	jsonrpcclient "github.com/cometbft/cometbft/rpc/jsonrpc/client"
)

// DefaultNodeURL is the CometBFT RPC address of a node on this machine.
const DefaultNodeURL = "http://127.0.0.1:26657"

// APIPortOffset is how far the ledger API port sits above the CometBFT RPC
// port of the same node (RPC base+1, ledger API base+3).
const APIPortOffset = 2

// DefaultRequestTimeout bounds one HTTP request to a node.
const DefaultRequestTimeout = 10 * time.Second

// Client talks to one node: CometBFT's JSON-RPC for consensus data
// (status, blocks, transactions, proofs, broadcast) and the ledger JSON-RPC
// API for ledger state (accounts with their pending nonce, assets,
// proposals, allowed nodes). It is safe for concurrent use.
type Client struct {
	nodeURL string
	apiURL  string
	timeout time.Duration
	poll    time.Duration

	rpc  *rpchttp.HTTP
	http *http.Client
}

// Option configures a Client.
type Option func(*Client)

// WithAPIURL sets the ledger API address explicitly instead of deriving it
// from the node URL (same host, port + APIPortOffset).
func WithAPIURL(u string) Option { return func(c *Client) { c.apiURL = u } }

// WithRequestTimeout bounds every HTTP request (default DefaultRequestTimeout).
func WithRequestTimeout(d time.Duration) Option { return func(c *Client) { c.timeout = d } }

// WithPollInterval sets how often WaitTx asks the node for a transaction
// (default 200ms).
func WithPollInterval(d time.Duration) Option { return func(c *Client) { c.poll = d } }

// New returns a client for the node whose CometBFT RPC listens at nodeURL
// (http://host:port; tcp:// is accepted as http://). It does not contact
// the node.
func New(nodeURL string, opts ...Option) (*Client, error) {
	norm, err := NormalizeURL(nodeURL)
	if err != nil {
		return nil, err
	}
	c := &Client{nodeURL: norm, timeout: DefaultRequestTimeout, poll: 200 * time.Millisecond}
	for _, o := range opts {
		o(c)
	}
	if c.apiURL == "" {
		if c.apiURL, err = DeriveAPIURL(norm); err != nil {
			return nil, err
		}
	} else if c.apiURL, err = NormalizeURL(c.apiURL); err != nil {
		return nil, err
	}
	hc, err := jsonrpcclient.DefaultHTTPClient(norm)
	if err != nil {
		return nil, fmt.Errorf("bad node URL %q: %v", nodeURL, err)
	}
	hc.Timeout = c.timeout
	if c.rpc, err = rpchttp.NewWithClient(norm, "/websocket", hc); err != nil {
		return nil, fmt.Errorf("bad node URL %q: %v", nodeURL, err)
	}
	c.http = &http.Client{Timeout: c.timeout}
	return c, nil
}

// NodeURL returns the CometBFT RPC address the client uses.
func (c *Client) NodeURL() string { return c.nodeURL }

// APIURL returns the ledger API address the client uses.
func (c *Client) APIURL() string { return c.apiURL }

// NormalizeURL checks a node address (http://host:port; tcp:// and a bare
// host:port are accepted) and returns it with an http scheme.
func NormalizeURL(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", errors.New("empty node URL, expected http://host:port")
	}
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("bad node URL %q: %v", raw, err)
	}
	switch u.Scheme {
	case "http", "https":
	case "tcp":
		u.Scheme = "http"
	default:
		return "", fmt.Errorf("bad node URL %q: scheme %q, expected http or https", raw, u.Scheme)
	}
	if u.Host == "" {
		return "", fmt.Errorf("bad node URL %q: no host, expected http://host:port", raw)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// DeriveAPIURL returns the ledger API address of the node whose CometBFT
// RPC is at nodeURL: same scheme and host, port + APIPortOffset.
func DeriveAPIURL(nodeURL string) (string, error) {
	norm, err := NormalizeURL(nodeURL)
	if err != nil {
		return "", err
	}
	u, _ := url.Parse(norm)
	portStr := u.Port()
	if portStr == "" {
		portStr = "80"
		if u.Scheme == "https" {
			portStr = "443"
		}
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port <= 0 || port+APIPortOffset > 65535 {
		return "", fmt.Errorf("bad node URL %q: port %q, expected a number below %d", nodeURL, portStr, 65535-APIPortOffset)
	}
	u.Host = joinHostPort(u.Hostname(), port+APIPortOffset)
	u.Path = ""
	return u.String(), nil
}

func joinHostPort(host string, port int) string {
	if strings.Contains(host, ":") {
		return "[" + host + "]:" + strconv.Itoa(port)
	}
	return host + ":" + strconv.Itoa(port)
}

// withTimeout gives ctx a deadline of the request timeout if it has none.
func (c *Client) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, c.timeout)
}
