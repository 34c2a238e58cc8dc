package app

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	rpcclient "github.com/cometbft/cometbft/rpc/client"
	sm "github.com/cometbft/cometbft/state"
	"github.com/gorilla/websocket"

	"github.com/tallyledger/tally/genesis"
	"github.com/tallyledger/tally/internal/testutil"
	"github.com/tallyledger/tally/ledger"
	"github.com/tallyledger/tally/wire"
	"github.com/tallyledger/tally/wire/proofop"
)

// rpcReply is a JSON-RPC response.
type rpcReply struct {
	ID     json.RawMessage `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Data    string `json:"data"`
	} `json:"error"`
}

type apiClient struct {
	t   *testing.T
	url string // http://host:port
}

func newAPIClient(t *testing.T, n *Node) *apiClient {
	return &apiClient{t: t, url: httpURL(n.APIAddr())}
}

// post sends a raw body to the JSON-RPC endpoint.
func (c *apiClient) post(body string) (int, []byte) {
	c.t.Helper()
	resp, err := http.Post(c.url, "application/json", strings.NewReader(body))
	if err != nil {
		c.t.Fatalf("POST: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp.StatusCode, b
}

// call makes a JSON-RPC call and returns the reply.
func (c *apiClient) call(method string, params any) rpcReply {
	c.t.Helper()
	body, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 7, "method": method, "params": params})
	if err != nil {
		c.t.Fatal(err)
	}
	_, b := c.post(string(body))
	var r rpcReply
	if err := json.Unmarshal(b, &r); err != nil {
		c.t.Fatalf("%s: not a JSON-RPC reply: %s", method, b)
	}
	return r
}

// result calls method and decodes a successful result into out.
func (c *apiClient) result(method string, params any, out any) {
	c.t.Helper()
	r := c.call(method, params)
	if r.Error != nil {
		c.t.Fatalf("%s(%v): error %d %s: %s", method, params, r.Error.Code, r.Error.Message, r.Error.Data)
	}
	if err := json.Unmarshal(r.Result, out); err != nil {
		c.t.Fatalf("%s: decode %s: %v", method, r.Result, err)
	}
}

// wantError calls method and checks the error code and that the message
// holds want.
func (c *apiClient) wantError(method string, params any, code int, want string) {
	c.t.Helper()
	r := c.call(method, params)
	if r.Error == nil {
		c.t.Fatalf("%s(%v): result %s, expected error %d", method, params, r.Result, code)
	}
	if r.Error.Code != code || !strings.Contains(r.Error.Message+" "+r.Error.Data, want) {
		c.t.Fatalf("%s(%v): error %d %q %q, expected %d mentioning %q", method, params, r.Error.Code, r.Error.Message, r.Error.Data, code, want)
	}
}

// get makes a URI request.
func (c *apiClient) get(path string) rpcReply {
	c.t.Helper()
	resp, err := http.Get(c.url + path)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var r rpcReply
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		c.t.Fatalf("GET %s: %v", path, err)
	}
	return r
}

func TestNodeEndToEnd(t *testing.T) {
	act := newActors(t)
	n := startNode(t, initTestHome(t, act))
	waitHeight(t, n, 2)
	ctx := context.Background()

	// A transfer through CometBFT's in-process RPC.
	tx1 := newTx(t, act.alice).nonce(0).memo("rent").transfer(act.bob, "TALLY", 25).bytes()
	br, err := n.RPC().BroadcastTxSync(ctx, tx1)
	if err != nil || br.Code != 0 {
		t.Fatalf("broadcast: %v %+v", err, br)
	}
	waitTx(t, n, br.Hash)

	api := newAPIClient(t, n)
	var alice wire.AccountResult
	api.result("account", map[string]any{"address": addrOf(act.alice).String()}, &alice)
	if alice.Nonce != 1 || alice.PendingNonce != 1 || len(alice.Balances) != 1 || alice.Balances[0] != (wire.BalanceResult{Asset: "TALLY", Amount: 975}) {
		t.Fatalf("alice after the transfer: %+v", alice)
	}
	if len(alice.Roles) != 1 || alice.Roles[0] != "member" || alice.Frozen {
		t.Fatalf("alice roles %v frozen %v", alice.Roles, alice.Frozen)
	}

	// URI requests, with the address bare or quoted.
	for _, q := range []string{addrOf(act.bob).String(), `"` + addrOf(act.bob).String() + `"`} {
		r := api.get("/balances?address=" + url.QueryEscape(q))
		if r.Error != nil || !strings.Contains(string(r.Result), `"amount":"25"`) {
			t.Fatalf("GET balances %s: %s %+v", q, r.Result, r.Error)
		}
	}

	// The transaction, decoded.
	var txr wire.TxResult
	api.result("tx", map[string]any{"hash": hex.EncodeToString(br.Hash)}, &txr)
	if txr.Hash != wire.UpperHex(br.Hash) || txr.Code != 0 || txr.Tx == nil || txr.Tx.Type != "transfer" ||
		txr.Tx.Sender != addrOf(act.alice).String() || txr.Tx.Memo != "rent" || txr.Tx.Nonce != "0" ||
		txr.Tx.Msg.To != addrOf(act.bob).String() || txr.Tx.Msg.Amount != "25" || txr.Tx.Msg.Asset != "TALLY" {
		t.Fatalf("tx: %+v body %+v", txr, txr.Tx)
	}
	if txr.Height <= 0 || len(txr.Events) == 0 {
		t.Fatalf("tx height %d events %v", txr.Height, txr.Events)
	}

	// A second transfer through the ledger API's broadcast_tx, in hex.
	tx2 := newTx(t, act.alice).nonce(1).transfer(act.bob, "TALLY", 5).bytes()
	var bres wire.BroadcastResult
	api.result("broadcast_tx", map[string]any{"tx": hex.EncodeToString(tx2)}, &bres)
	if bres.Code != 0 || bres.Hash != ledger.TxHashString(tx2) {
		t.Fatalf("broadcast_tx: %+v", bres)
	}
	// A rejected one reports the ledger's code and log.
	var rej wire.BroadcastResult
	api.result("broadcast_tx", map[string]any{"tx": hex.EncodeToString(newTx(t, act.bob).nonce(0).transfer(act.alice, "TALLY", 1_000_000).bytes())}, &rej)
	if ledger.Code(rej.Code) != ledger.CodeInsufficient || rej.Codespace != Codespace || rej.Log == "" {
		t.Fatalf("broadcast of an overdraft: %+v", rej)
	}
	h2, _ := hex.DecodeString(bres.Hash)
	waitTx(t, n, h2)

	// History, newest first, paged.
	var hist wire.HistoryResult
	api.result("history", map[string]any{"address": addrOf(act.alice).String()}, &hist)
	if hist.TotalCount != 2 || len(hist.Txs) != 2 || hist.Txs[0].Hash != bres.Hash || hist.Txs[1].Hash != wire.UpperHex(br.Hash) {
		t.Fatalf("history: %+v", hist)
	}
	api.result("history", []any{addrOf(act.bob).String(), "2", 1}, &hist)
	if hist.TotalCount != 2 || len(hist.Txs) != 1 || hist.Txs[0].Hash != wire.UpperHex(br.Hash) || hist.Page != 2 || hist.PerPage != 1 {
		t.Fatalf("bob's history page 2: %+v", hist)
	}

	// The rest of the methods.
	var st wire.StatusResult
	api.result("status", nil, &st)
	if st.ChainID != testChainID || st.NodeID != n.NodeID() || st.CatchingUp || st.Height == 0 || len(st.AppHash) != 64 || st.LatestBlockTime == "" {
		t.Fatalf("status: %+v", st)
	}
	var vals wire.ValidatorsResult
	api.result("validators", nil, &vals)
	valPub, err := n.CometNode().PrivValidator().GetPubKey()
	if err != nil {
		t.Fatal(err)
	}
	valAddr := wire.UpperHex(valPub.Address())
	if len(vals.Validators) != 1 || vals.Validators[0].Power != 10 || vals.Validators[0].Address != valAddr || vals.TotalPower != 10 {
		t.Fatalf("validators: %+v (expected address %s)", vals, valAddr)
	}
	var nodes wire.NodesResult
	api.result("nodes", nil, &nodes)
	if len(nodes.Nodes) != 1 || nodes.Nodes[0] != (wire.NodeResult{ID: n.NodeID(), Allowed: true, Self: true}) {
		t.Fatalf("nodes: %+v", nodes)
	}
	var params wire.ParamsResult
	api.result("params", nil, &params)
	if params.AdminThreshold != 1 || params.Admins != 1 || params.FreezeBlocksReceive {
		t.Fatalf("params: %+v", params)
	}
	var assets wire.AssetsResult
	api.result("assets", nil, &assets)
	if len(assets.Assets) != 1 || assets.Assets[0] != (wire.AssetResult{Symbol: "TALLY", Issuer: addrOf(act.admin).String(), Supply: 1000}) {
		t.Fatalf("assets: %+v", assets)
	}
	var asset wire.AssetResult
	api.result("asset", map[string]any{"symbol": "TALLY"}, &asset)
	if asset.Supply != 1000 {
		t.Fatalf("asset: %+v", asset)
	}
	var props wire.ProposalsResult
	api.result("proposals", nil, &props)
	if len(props.Proposals) != 0 {
		t.Fatalf("proposals: %+v", props)
	}

	// Errors: a method error is -32603 with the reason; bad params -32602.
	api.wantError("account", map[string]any{"address": addrOf(act.carol).String()}, -32603, "not registered")
	api.wantError("asset", map[string]any{"symbol": "NOPE"}, -32603, "does not exist")
	api.wantError("proposal", map[string]any{"id": "1"}, -32603, "does not exist")
	api.wantError("tx", map[string]any{"hash": strings.Repeat("AB", 32)}, -32603, "not found")
	api.wantError("account", map[string]any{"address": 123}, -32602, "address")
	api.wantError("account", map[string]any{"address": "tally1notanaddress"}, -32602, "invalid address")
	api.wantError("history", map[string]any{"address": addrOf(act.bob).String(), "page": "abc"}, -32602, "non-negative integer")
	api.wantError("history", map[string]any{"address": addrOf(act.bob).String(), "per_page": 500}, -32603, "maximum 100")
	// 2^63 used to become a negative int, pass the check and reach the search.
	api.wantError("history", map[string]any{"address": addrOf(act.bob).String(), "per_page": "9223372036854775808"}, -32603, "maximum 100")
	api.result("history", map[string]any{"address": addrOf(act.bob).String(), "page": "9"}, &hist)
	if hist.TotalCount != 2 || len(hist.Txs) != 0 {
		t.Fatalf("bob's history past the end: %+v", hist)
	}
	api.wantError("history", map[string]any{"address": addrOf(act.bob).String(), "page": "18446744073709551615"}, -32603, "page 18446744073709551615 is above the maximum")
	api.wantError("tx", map[string]any{"hash": "xyz"}, -32602, "64 hex digits")
	api.wantError("asset", map[string]any{"symbol": "lower"}, -32602, "symbol")
	api.wantError("broadcast_tx", map[string]any{"tx": "zz!"}, -32602, "hex")
	api.wantError("account", nil, -32603, "address is required")
	api.wantError("no_such_method", nil, -32601, "Method not found")

	code, body := api.post(`{"jsonrpc":"2.0","id":1,"method":`)
	if !strings.Contains(string(body), "-32700") {
		t.Fatalf("malformed JSON: HTTP %d %s", code, body)
	}
	big := `{"jsonrpc":"2.0","id":1,"method":"status","params":{"pad":"` + strings.Repeat("x", int(n.Config().RPC.MaxBodyBytes)) + `"}}`
	code, body = api.post(big)
	if code != http.StatusBadRequest || !strings.Contains(string(body), "too large") {
		t.Fatalf("oversized request: HTTP %d %s", code, body)
	}
	var batch []string
	for i := 0; i <= n.Config().RPC.MaxRequestBatchSize; i++ {
		batch = append(batch, fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"status"}`, i))
	}
	_, body = api.post("[" + strings.Join(batch, ",") + "]")
	if !strings.Contains(string(body), "batch request exceeds maximum") {
		t.Fatalf("batch over the limit: %s", body)
	}
	// Requests written so that CometBFT's own count missed them (and ran
	// after the params rewrite) are counted on the raw body: 2,000 refused.
	sneaky := strings.Repeat(`{"jsonrpc":"2.0","id":1,"ID":{},"method":"assets"},`, 2000)
	code, body = api.post("[" + strings.TrimSuffix(sneaky, ",") + "]")
	if code != http.StatusBadRequest || !strings.Contains(string(body), "exceeds maximum (10) allowed number of requests: 2000 requests") {
		t.Fatalf("2,000 uncounted requests: HTTP %d %.300s", code, body)
	}
	code, body = api.post(`[{"jsonrpc":"2.0","id":1,"method":"status"},`)
	if code != http.StatusBadRequest || !strings.Contains(string(body), "-32700") {
		t.Fatalf("a batch that does not parse: HTTP %d %s", code, body)
	}
	// DNS rebinding and CSRF: another Host, or a POST that is not JSON.
	for _, tc := range []struct {
		host, contentType string
		status            int
		want              string
	}{
		{"rebind.example:26659", "application/json", http.StatusForbidden, "is not allowed to use this API: add it to api_allowed_hosts"},
		{"", "text/plain", http.StatusUnsupportedMediaType, "must be sent as application/json"},
		{"", "application/x-www-form-urlencoded", http.StatusUnsupportedMediaType, "must be sent as application/json"},
		{"localhost", "application/json; charset=utf-8", http.StatusOK, `"result"`},
	} {
		req, _ := http.NewRequest(http.MethodPost, api.url, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"status"}`))
		req.Header.Set("Content-Type", tc.contentType)
		if tc.host != "" {
			req.Host = tc.host
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != tc.status || !strings.Contains(string(b), tc.want) {
			t.Errorf("Host %q, %s: HTTP %d %s; want %d with %q", tc.host, tc.contentType, res.StatusCode, b, tc.status, tc.want)
		}
	}
	_, body = api.post("[" + strings.Join(batch[:2], ",") + "]")
	var replies []rpcReply
	if err := json.Unmarshal(body, &replies); err != nil || len(replies) != 2 || replies[0].Error != nil {
		t.Fatalf("batch of 2: %s", body)
	}

	// Websocket: the same methods.
	wsURL := "ws" + strings.TrimPrefix(api.url, "http") + "/websocket"
	ws, _, err := websocket.DefaultDialer.Dial(wsURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	if err := ws.WriteJSON(map[string]any{"jsonrpc": "2.0", "id": 3, "method": "account", "params": map[string]any{"address": addrOf(act.bob).String()}}); err != nil {
		t.Fatal(err)
	}
	var wr rpcReply
	ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	if err := ws.ReadJSON(&wr); err != nil || wr.Error != nil || !strings.Contains(string(wr.Result), `"amount":"30"`) {
		t.Fatalf("websocket account: %v %s %+v", err, wr.Result, wr.Error)
	}
	if err := ws.WriteMessage(websocket.TextMessage, []byte("{not json")); err != nil {
		t.Fatal(err)
	}
	wr = rpcReply{}
	if err := ws.ReadJSON(&wr); err != nil || wr.Error == nil || wr.Error.Code != -32700 {
		t.Fatalf("websocket malformed: %v %+v", err, wr.Error)
	}
	if err := ws.WriteJSON(map[string]any{"jsonrpc": "2.0", "id": 4, "method": "status"}); err != nil {
		t.Fatal(err)
	}
	wr = rpcReply{}
	if err := ws.ReadJSON(&wr); err != nil || wr.Error != nil || !strings.Contains(string(wr.Result), testChainID) {
		t.Fatalf("websocket status after an error: %v %+v", err, wr.Error)
	}
	// Every method over the websocket answers as it does over HTTP.
	tx3 := newTx(t, act.alice).nonce(2).transfer(act.bob, "TALLY", 1).bytes()
	wsCalls := []struct {
		method string
		params map[string]any
		want   string // a fragment of the result
	}{
		{"balances", map[string]any{"address": addrOf(act.bob).String()}, `"amount":"30"`},
		{"assets", map[string]any{}, `"symbol":"TALLY"`},
		{"asset", map[string]any{"symbol": "TALLY"}, `"supply":"1000"`},
		{"tx", map[string]any{"hash": hex.EncodeToString(br.Hash)}, wire.UpperHex(br.Hash)},
		{"history", map[string]any{"address": addrOf(act.alice).String()}, bres.Hash},
		{"validators", map[string]any{}, valAddr},
		{"nodes", map[string]any{}, n.NodeID()},
		{"proposals", map[string]any{}, `"proposals"`},
		{"params", map[string]any{}, `"admin_threshold"`},
		{"broadcast_tx", map[string]any{"tx": hex.EncodeToString(tx3)}, `"hash":"` + ledger.TxHashString(tx3)},
	}
	for i, c := range wsCalls {
		if err := ws.WriteJSON(map[string]any{"jsonrpc": "2.0", "id": 10 + i, "method": c.method, "params": c.params}); err != nil {
			t.Fatal(err)
		}
		wr = rpcReply{}
		if err := ws.ReadJSON(&wr); err != nil {
			t.Fatalf("websocket %s: %v", c.method, err)
		}
		if wr.Error != nil || !strings.Contains(string(wr.Result), c.want) {
			t.Fatalf("websocket %s: result %s error %+v, want %s", c.method, wr.Result, wr.Error, c.want)
		}
	}
	if err := ws.WriteJSON(map[string]any{"jsonrpc": "2.0", "id": 99, "method": "no_such_method", "params": map[string]any{}}); err != nil {
		t.Fatal(err)
	}
	wr = rpcReply{}
	if err := ws.ReadJSON(&wr); err != nil || wr.Error == nil || wr.Error.Code != -32601 {
		t.Fatalf("websocket unknown method: %v %+v", err, wr.Error)
	}
	if err := ws.WriteJSON(map[string]any{"jsonrpc": "2.0", "id": 100, "method": "account", "params": map[string]any{"address": 5}}); err != nil {
		t.Fatal(err)
	}
	wr = rpcReply{}
	// CometBFT's websocket handler reports unparsable params as -32603 (HTTP
	// says -32602); either way the reason names the parameter.
	if err := ws.ReadJSON(&wr); err != nil || wr.Error == nil || !strings.Contains(wr.Error.Data, "address") {
		t.Fatalf("websocket wrong param type: %v %+v", err, wr.Error)
	}

	// After all that the node still serves and still makes blocks.
	api.result("status", nil, &st)
	waitHeight(t, n, n.Ledger().LastHeight()+1)

	// A proved query: the state after block H is committed by header H+1.
	key := ledger.BalanceKey(addrOf(act.bob), "TALLY")
	pq, err := n.RPC().ABCIQueryWithOptions(ctx, wire.QueryPathStore, key, rpcclient.ABCIQueryOptions{Prove: true})
	if err != nil || pq.Response.Code != 0 {
		t.Fatalf("proved query: %v %+v", err, pq.Response)
	}
	waitHeight(t, n, pq.Response.Height+1)
	next := pq.Response.Height + 1
	blk, err := n.RPC().Block(ctx, &next)
	if err != nil {
		t.Fatal(err)
	}
	if err := proofop.Verify(blk.Block.AppHash, pq.Response.ProofOps, key, pq.Response.Value); err != nil {
		t.Fatalf("proof against header %d: %v", next, err)
	}

	// ABCI queries through CometBFT's RPC.
	q, err := n.RPC().ABCIQuery(ctx, wire.QueryPathFilterID+n.NodeID(), nil)
	if err != nil || q.Response.Code != 0 {
		t.Fatalf("filter query for self: %v %+v", err, q.Response)
	}
	q, err = n.RPC().ABCIQuery(ctx, wire.QueryPathFilterID+strings.Repeat("ab", 20), nil)
	if err != nil || q.Response.Code != QueryCodeNodeNotAllowed {
		t.Fatalf("filter query for a stranger: %v %+v", err, q.Response)
	}
}

func TestNodeRestartInSameProcess(t *testing.T) {
	act := newActors(t)
	home := initTestHome(t, act)
	logs := &testutil.SyncBuffer{}
	n, err := NewNode(home, NodeOptions{LogLevel: "error", Logger: logs})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	waitHeight(t, n, 3)
	if err := ResetHome(home); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("ResetHome on a running node: %v, expected the data directory in use", err)
	}
	if err := n.Stop(); err != nil {
		t.Fatal(err)
	}
	n.Wait()
	stoppedAt := n.Ledger().LastHeight()

	n2 := startNode(t, home) // fails if any database stayed open
	waitHeight(t, n2, stoppedAt+2)
	if err := n2.Stop(); err != nil {
		t.Fatal(err)
	}

	// A reset clears the chain data of both; the node starts over.
	if err := ResetHome(home); err != nil {
		t.Fatal(err)
	}
	n3 := startNode(t, home)
	if h := n3.Ledger().LastHeight(); h != 0 {
		t.Fatalf("ledger at height %d after reset, expected 0", h)
	}
	waitHeight(t, n3, 2)
}

// copyDir copies a node home (a stopped node's files).
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "home")
	if out, err := exec.Command("cp", "-a", src, dst).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}
	return dst
}

func TestNodeStartupErrors(t *testing.T) {
	act := newActors(t)
	home := initTestHome(t, act)

	// A home that has run a few blocks, for the chain-data cases.
	n := startNode(t, home)
	waitHeight(t, n, 3)
	if err := n.Stop(); err != nil {
		t.Fatal(err)
	}
	ran := n.Ledger().LastHeight()

	newNode := func(home string) error {
		n, err := NewNode(home, NodeOptions{LogLevel: "none", Logger: io.Discard})
		if err == nil {
			n.Stop()
			return nil
		}
		t.Logf("NewNode: %v", err)
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("error is not one line: %q", err)
		}
		return err
	}

	for _, key := range []string{"config/node_key.json", "config/priv_validator_key.json"} {
		t.Run(key+" readable by others", func(t *testing.T) {
			h := copyDir(t, home)
			path := filepath.Join(h, key)
			if err := os.Chmod(path, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := newNode(h); err == nil || !strings.Contains(err.Error(), "run chmod 600 "+path) {
				t.Fatalf("got %v", err)
			}
		})
	}
	t.Run("missing genesis", func(t *testing.T) {
		h := copyDir(t, home)
		os.Remove(filepath.Join(h, GenesisFile))
		err := newNode(h)
		if err == nil || !strings.Contains(err.Error(), filepath.Join(h, GenesisFile)) || !strings.Contains(err.Error(), "does not exist") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("invalid genesis", func(t *testing.T) {
		h := t.TempDir()
		if err := InitHome(h, "n", testChainID); err != nil { // no admin account
			t.Fatal(err)
		}
		err := newNode(h)
		if err == nil || !strings.Contains(err.Error(), "genesis.json") || !strings.Contains(err.Error(), "admin") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("ledger ahead of the block store", func(t *testing.T) {
		h := copyDir(t, home)
		for _, d := range []string{"blockstore.db", "state.db", "cs.wal", "evidence.db", "tx_index.db"} {
			os.RemoveAll(filepath.Join(h, "data", d))
		}
		err := newNode(h)
		want := fmt.Sprintf("ledger state at height %d is ahead of the block store at 0", ran)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "tallyd reset") {
			t.Fatalf("got %v, expected %q", err, want)
		}
	})
	t.Run("app hash differs at the same height", func(t *testing.T) {
		h := copyDir(t, home)
		c, _, err := LoadConfig(h)
		if err != nil {
			t.Fatal(err)
		}
		db, err := cmtcfg.DefaultDBProvider(&cmtcfg.DBContext{ID: "state", Config: c})
		if err != nil {
			t.Fatal(err)
		}
		ss := sm.NewStore(db, sm.StoreOptions{})
		st, err := ss.Load()
		if err != nil {
			t.Fatal(err)
		}
		st.AppHash = bytes.Repeat([]byte{0xEE}, 32)
		if err := ss.Save(st); err != nil {
			t.Fatal(err)
		}
		db.Close()
		err = newNode(h)
		if err == nil || !strings.Contains(err.Error(), "differs from CometBFT's") || !strings.Contains(err.Error(), "tallyd reset") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("genesis changed after the chain started", func(t *testing.T) {
		h := copyDir(t, home)
		path := filepath.Join(h, GenesisFile)
		doc, st, err := genesis.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		must(t, st.AddBalance(addrOf(act.bob).String(), "TALLY", "1"))
		must(t, genesis.Write(path, doc, st))
		err = newNode(h)
		if err == nil || !strings.Contains(err.Error(), "differs from the genesis this node's data started from (app_state)") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("data directory in use", func(t *testing.T) {
		h := copyDir(t, home)
		running := startNode(t, h)
		err := newNode(h)
		want := fmt.Sprintf("data directory %s is in use by another tallyd process", running.Config().DBDir())
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("got %v, expected %q", err, want)
		}
	})
	t.Run("port in use", func(t *testing.T) {
		h := copyDir(t, home)
		c, _, err := LoadConfig(h)
		if err != nil {
			t.Fatal(err)
		}
		hp, _ := tcpHostPort(c.P2P.ListenAddress)
		ln, err := net.Listen("tcp", hp)
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		err = newNode(h)
		want := fmt.Sprintf("p2p address %s is already in use", c.P2P.ListenAddress)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("got %v, expected %q", err, want)
		}
	})
	t.Run("the home still starts", func(t *testing.T) {
		if err := newNode(home); err != nil {
			t.Fatal(err)
		}
	})
}
