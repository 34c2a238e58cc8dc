package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
)

// The two JSON-RPC servers of a node, as EndpointError names them.
const (
	EndpointRPC = "CometBFT RPC"
	EndpointAPI = "ledger API"
)

// EndpointError says that an address given for one of a node's servers
// answers as the other one: the ledger API given as the node's CometBFT
// RPC address, or the reverse.
type EndpointError struct {
	URL   string // the address given
	Want  string // the server it was given for: EndpointRPC or EndpointAPI
	Found string // the server that answered there
	// Suggest is the address the wanted server probably has (the API sits
	// APIPortOffset ports above the RPC); "" when unknown.
	Suggest string
}

func (e *EndpointError) Error() string {
	msg := fmt.Sprintf("%s is the node's %s, not its %s", e.URL, e.Found, e.Want)
	if e.Suggest != "" {
		msg += fmt.Sprintf("; its %s is probably %s", e.Want, e.Suggest)
	}
	return msg
}

// CheckEndpoints tells whether the node and ledger API addresses reach the
// right servers: it returns an *EndpointError when the node address
// answers as a ledger API or the API address as a CometBFT RPC, and nil
// when they look right or cannot be told apart (unreachable). Use it to
// explain a failure, not before every call: it costs two requests.
func (c *Client) CheckEndpoints(ctx context.Context) error {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	if c.probe(ctx, c.nodeURL) == EndpointAPI {
		return &EndpointError{URL: c.nodeURL, Want: EndpointRPC, Found: EndpointAPI, Suggest: shiftPort(c.nodeURL, -APIPortOffset)}
	}
	if c.probe(ctx, c.apiURL) == EndpointRPC {
		return &EndpointError{URL: c.apiURL, Want: EndpointAPI, Found: EndpointRPC, Suggest: shiftPort(c.apiURL, APIPortOffset)}
	}
	return nil
}

// probe asks u for "status" over JSON-RPC and names the server by the
// shape of the answer: CometBFT's has node_info, the ledger API's
// ledger_height. "" when it is neither or does not answer.
func (c *Client) probe(ctx context.Context, u string) string {
	body := []byte(`{"jsonrpc":"2.0","id":1,"method":"status","params":{}}`)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return ""
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	var out struct {
		Result map[string]json.RawMessage `json:"result"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&out); err != nil {
		return ""
	}
	switch {
	case out.Result["node_info"] != nil:
		return EndpointRPC
	case out.Result["ledger_height"] != nil:
		return EndpointAPI
	}
	return ""
}

// shiftPort returns u with its port moved by delta, or "" when u has no
// usable port.
func shiftPort(u string, delta int) string {
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	port, err := strconv.Atoi(p.Port())
	if err != nil || port+delta <= 0 || port+delta > 65535 {
		return ""
	}
	p.Host = joinHostPort(p.Hostname(), port+delta)
	return p.String()
}
