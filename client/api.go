package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// callAPI makes one JSON-RPC 2.0 call to the ledger API and decodes its
// result into out. Integer params must already be strings (the API follows
// CometBFT's JSON conventions).
func (c *Client) callAPI(ctx context.Context, method string, params map[string]any, out any) error {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	if params == nil {
		params = map[string]any{}
	}
	reqBody, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
	if err != nil {
		return fmt.Errorf("encode %s request: %w", method, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.apiURL, bytes.NewReader(reqBody))
	if err != nil {
		return fmt.Errorf("bad ledger API URL %q: %w", c.apiURL, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return wrapErr(c.apiURL, method, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return wrapErr(c.apiURL, method, err)
	}
	var envelope struct {
		Result json.RawMessage `json:"result"`
		Error  *struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
			Data    string `json:"data"`
		} `json:"error"`
	}
	if err := json.Unmarshal(raw, &envelope); err != nil {
		return &NodeError{URL: c.apiURL, Method: method,
			Message: fmt.Sprintf("HTTP %d, not a JSON-RPC response: %s", resp.StatusCode, firstLine(string(raw)))}
	}
	if envelope.Error != nil {
		msg := envelope.Error.Data
		if msg == "" {
			msg = envelope.Error.Message
		}
		return &NodeError{URL: c.apiURL, Method: method, Message: msg}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(envelope.Result, out); err != nil {
		return &NodeError{URL: c.apiURL, Method: method, Message: fmt.Sprintf("unexpected result: %v", err)}
	}
	return nil
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}
