package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tallyledger/tally/crypto"
	"github.com/tallyledger/tally/ledger"
	"github.com/tallyledger/tally/wire"
)

// fakeNode answers JSON-RPC calls by method with canned results or errors.
type fakeNode struct {
	mu      sync.Mutex
	results map[string]func(params json.RawMessage) (result any, rpcErr string)
	calls   map[string]int
}

func newFakeNode(t *testing.T) (*fakeNode, *httptest.Server) {
	f := &fakeNode{results: map[string]func(json.RawMessage) (any, string){}, calls: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
			Params json.RawMessage `json:"params"`
		}
		if err := json.Unmarshal(body, &req); err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		h := f.results[req.Method]
		f.calls[req.Method]++
		f.mu.Unlock()
		resp := map[string]any{"jsonrpc": "2.0", "id": req.ID}
		if h == nil {
			resp["error"] = map[string]any{"code": -32601, "message": "Method not found"}
		} else if res, e := h(req.Params); e != "" {
			resp["error"] = map[string]any{"code": -32603, "message": "Internal error", "data": e}
		} else {
			resp["result"] = res
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(resp)
	}))
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeNode) handle(method string, h func(json.RawMessage) (any, string)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.results[method] = h
}

func (f *fakeNode) count(method string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[method]
}

// closedPortURL returns the URL of a local port nothing listens on.
func closedPortURL(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

func TestUnreachableNode(t *testing.T) {
	url := closedPortURL(t)
	c, err := New(url)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	want := "cannot reach node " + url + ": connection refused"
	if _, err := c.Status(ctx); err == nil || err.Error() != want || !errors.Is(err, ErrUnreachable) {
		t.Fatalf("Status error = %v, want %q", err, want)
	}
	apiURL, _ := DeriveAPIURL(url)
	if _, err := c.Account(ctx, addrOf(t, 1)); err == nil || !strings.HasPrefix(err.Error(), "cannot reach node "+apiURL+": ") {
		t.Fatalf("Account error = %v", err)
	}
}

func TestAccountDecoding(t *testing.T) {
	f, srv := newFakeNode(t)
	alice := addrOf(t, 1)
	// The API may write 64-bit integers as strings or as numbers.
	f.handle("account", func(p json.RawMessage) (any, string) {
		var args struct{ Address string }
		json.Unmarshal(p, &args)
		if args.Address != alice.String() {
			return nil, fmt.Sprintf("account %s not found", args.Address)
		}
		return json.RawMessage(`{"address":"` + alice.String() + `","nonce":"3","pending_nonce":5,"frozen":true,
			"frozen_reason":"audit","roles":["admin","member"],"balances":[{"asset":"EUR","amount":"7"},{"asset":"TALLY","amount":18446744073709551615}]}`), ""
	})
	c, err := New(srv.URL, WithAPIURL(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	a, err := c.Account(context.Background(), alice)
	if err != nil {
		t.Fatal(err)
	}
	if a.Nonce != 3 || a.PendingNonce != 5 || !a.Frozen || a.FrozenReason != "audit" || len(a.Roles) != 2 ||
		a.Balance("EUR") != 7 || a.Balance("TALLY") != 1<<64-1 || a.Balance("USD") != 0 {
		t.Fatalf("account = %+v", a)
	}
	n, err := c.NextNonce(context.Background(), alice)
	if err != nil || n != 5 {
		t.Fatalf("NextNonce = %d, %v", n, err)
	}
	js, _ := json.Marshal(a)
	for _, want := range []string{`"nonce":3`, `"amount":"18446744073709551615"`, `"roles":["admin","member"]`, `"frozen":true`} {
		if !strings.Contains(string(js), want) {
			t.Errorf("account JSON %s lacks %s", js, want)
		}
	}
	_, err = c.Account(context.Background(), addrOf(t, 2))
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "is not registered") {
		t.Fatalf("unknown account error = %v", err)
	}
}

func TestBroadcastSyncRejection(t *testing.T) {
	f, srv := newFakeNode(t)
	f.handle("broadcast_tx_sync", func(json.RawMessage) (any, string) {
		return map[string]any{"code": 7, "data": "", "log": "insufficient_funds: balance 10 TALLY, need 25", "codespace": "", "hash": "AB"}, ""
	})
	c, _ := New(srv.URL)
	tx := []byte("some tx bytes")
	hash, err := c.BroadcastSync(context.Background(), tx)
	var te *TxError
	if !errors.As(err, &te) || te.Code != ledger.CodeInsufficient {
		t.Fatalf("error = %v", err)
	}
	if !errors.Is(err, ledger.ErrInsufficient) {
		t.Fatal("errors.Is(err, ledger.ErrInsufficient) is false")
	}
	want := "transaction " + hash + " rejected: insufficient_funds: balance 10 TALLY, need 25"
	if err.Error() != want {
		t.Fatalf("error = %q, want %q", err, want)
	}
}

func TestBroadcastSyncRetriesWhileCatchingUp(t *testing.T) {
	f, srv := newFakeNode(t)
	f.handle("broadcast_tx_sync", func(json.RawMessage) (any, string) {
		if f.count("broadcast_tx_sync") < 3 {
			return nil, "endpoint is closed while node is catching up"
		}
		return map[string]any{"code": 0, "data": "", "log": "", "codespace": "", "hash": "AB"}, ""
	})
	c, _ := New(srv.URL, WithPollInterval(time.Millisecond))
	if _, err := c.BroadcastSync(context.Background(), []byte("tx")); err != nil {
		t.Fatal(err)
	}
	if n := f.count("broadcast_tx_sync"); n != 3 {
		t.Fatalf("%d broadcasts, want 3", n)
	}
	// Duplicate submissions say so.
	f.handle("broadcast_tx_sync", func(json.RawMessage) (any, string) { return nil, "tx already exists in cache" })
	if _, err := c.BroadcastSync(context.Background(), []byte("tx")); !errors.Is(err, ErrAlreadySubmitted) {
		t.Fatalf("duplicate: %v", err)
	}
}

func TestWaitTxTimeout(t *testing.T) {
	f, srv := newFakeNode(t)
	f.handle("abci_query", func(p json.RawMessage) (any, string) {
		return map[string]any{"response": map[string]any{"code": wire.QueryCodeNotFound, "log": "transaction not found"}}, ""
	})
	c, _ := New(srv.URL, WithPollInterval(5*time.Millisecond))
	hash := strings.Repeat("AB", 32)
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	_, err := c.WaitTx(ctx, hash)
	want := "transaction " + hash + " is not in a block yet after 1.5s (it may still commit)"
	var te *TimeoutError
	if !errors.As(err, &te) || err.Error() != want {
		t.Fatalf("error = %v, want %q", err, want)
	}
	if f.count("abci_query") < 2 {
		t.Fatalf("polled %d times", f.count("abci_query"))
	}
	if _, err := c.WaitTx(context.Background(), "xyz"); err == nil || !strings.Contains(err.Error(), "bad transaction hash") {
		t.Fatalf("bad hash: %v", err)
	}
}

func TestTxErrorMessages(t *testing.T) {
	tests := []struct {
		err  TxError
		want string
	}{
		{TxError{Hash: "AB", Code: ledger.CodeBadNonce, Log: "nonce 7 used, account expects 9"},
			"transaction AB rejected: bad_nonce: nonce 7 used, account expects 9"},
		{TxError{Hash: "AB", Code: ledger.CodeBadNonce, Log: "bad_nonce: nonce 7 used, account expects 9"},
			"transaction AB rejected: bad_nonce: nonce 7 used, account expects 9"},
		{TxError{Hash: "AB", Height: 12, Code: ledger.CodeInsufficient, Log: ""},
			"transaction AB failed in block 12: insufficient_funds"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

// A node refusing for now (a full mempool, too many pending transactions
// of the sender) does not end the submission: the failover moves on to
// the next node, whose answer counts.
func TestFailoverMovesOnFromABusyNode(t *testing.T) {
	seed := [32]byte{7}
	key, err := crypto.PrivKeyFromBytes(seed[:])
	if err != nil {
		t.Fatal(err)
	}
	tx := ledger.NewSignedTx("c", ledger.Body{Nonce: 1, Msg: ledger.Msg{Transfer: &ledger.Transfer{To: key.PubKey().Address(), Asset: "TALLY", Amount: 1}}}, key).Encode()
	busy, busySrv := newFakeNode(t)
	busy.handle("broadcast_tx_sync", func(json.RawMessage) (any, string) {
		return map[string]any{"code": int(ledger.CodeMempoolFull), "log": "mempool is full: 5000 transactions waiting for a block, at most 5000: retry after the next block", "codespace": "tally", "hash": "AB"}, ""
	})
	next, nextSrv := newFakeNode(t)
	next.handle("broadcast_tx_sync", func(json.RawMessage) (any, string) {
		return map[string]any{"code": int(ledger.CodeInsufficient), "log": "insufficient TALLY", "codespace": "tally", "hash": "AB"}, ""
	})
	a, _ := New(busySrv.URL, WithPollInterval(time.Millisecond))
	b, _ := New(nextSrv.URL, WithPollInterval(time.Millisecond))
	var switches []string
	f := &Failover{Nodes: []*Client{a, b}, OnSwitch: func(from, to string, reason error) { switches = append(switches, reason.Error()) }}
	_, _, err = f.Commit(context.Background(), tx)
	if !errors.Is(err, ledger.ErrInsufficient) {
		t.Fatalf("error %v, want the second node's insufficient funds", err)
	}
	if len(switches) != 1 || !strings.Contains(switches[0], "is busy: mempool is full") {
		t.Fatalf("switches %q, want one from the busy node", switches)
	}
}
