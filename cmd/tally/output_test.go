package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tallyledger/tally/client"
	"github.com/tallyledger/tally/wire"
)

func TestDescribeMsg(t *testing.T) {
	yes, no := true, false
	power := uint64(0)
	tests := []struct {
		msg  wire.MsgView
		want string
	}{
		{wire.MsgView{Type: "transfer", To: "tally1x", Asset: "TALLY", Amount: "25"}, "transfer 25TALLY to tally1x"},
		{wire.MsgView{Type: "mint", To: "tally1x", Asset: "EUR", Amount: "7"}, "mint 7EUR to tally1x"},
		{wire.MsgView{Type: "burn", Asset: "EUR", Amount: "3"}, "burn 3EUR"},
		{wire.MsgView{Type: "vote", Proposal: 4, Approve: &yes}, "approve proposal 4"},
		{wire.MsgView{Type: "vote", Proposal: 4, Approve: &no}, "reject proposal 4"},
		{wire.MsgView{Type: "propose", Expiry: 90, Action: &wire.ActionView{Type: "freeze", Address: "tally1x", Reason: "audit"}},
			"propose freeze address=tally1x reason=audit (expires after height 90)"},
		{wire.MsgView{Type: "propose", Expiry: 90, Action: &wire.ActionView{Type: "set-validator-power", PubKey: "q6s=", Power: &power}},
			"propose set-validator-power pub_key=q6s= power=0 (expires after height 90)"},
	}
	for _, tt := range tests {
		if got := describeMsg(tt.msg); got != tt.want {
			t.Errorf("describeMsg(%+v) = %q, want %q", tt.msg, got, tt.want)
		}
	}
}

func TestPrintAccount(t *testing.T) {
	a := &client.Account{Address: "tally1abc", Nonce: 3, PendingNonce: 5, Frozen: true, FrozenReason: "audit",
		Roles: []string{"admin", "member"}, Balances: []client.Balance{{Asset: "EUR", Amount: 7}, {Asset: "TALLY", Amount: 1000}}}
	var buf bytes.Buffer
	printAccount(&buf, a)
	out := buf.String()
	for _, want := range []string{
		"address:  tally1abc\n",
		"nonce:    3 (next: 5, counting transactions in the mempool)\n",
		"roles:    admin, member\n",
		"frozen:   yes (audit)\n",
		"balances:\n",
		"  1000 TALLY\n",
		"     7 EUR\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("account text lacks %q:\n%s", want, out)
		}
	}
	// JSON: amounts as decimal strings, nonces as numbers.
	js, _ := json.Marshal(accountView{Account: *a})
	for _, want := range []string{`"address":"tally1abc"`, `"nonce":3`, `"frozen":true`, `"roles":["admin","member"]`,
		`"balances":[{"asset":"EUR","amount":"7"},{"asset":"TALLY","amount":"1000"}]`} {
		if !strings.Contains(string(js), want) {
			t.Errorf("account JSON lacks %s: %s", want, js)
		}
	}
	if strings.Contains(string(js), `"proof"`) {
		t.Errorf("unproven account JSON has a proof: %s", js)
	}
}

// stuckNode accepts transactions and never puts them in a block.
func stuckNode(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
			Params struct {
				Address string `json:"address"`
			} `json:"params"`
		}
		json.Unmarshal(body, &req)
		resp := map[string]any{"jsonrpc": "2.0", "id": req.ID}
		switch req.Method {
		case "account":
			resp["result"] = map[string]any{"address": req.Params.Address, "nonce": "0", "pending_nonce": "0",
				"roles": []string{"member"}, "balances": []any{}}
		case "broadcast_tx_sync":
			resp["result"] = map[string]any{"code": 0, "data": "", "log": "", "codespace": "", "hash": "00"}
		case "abci_query": // the ledger's transaction index: not found
			resp["result"] = map[string]any{"response": map[string]any{"code": 102, "codespace": "tally", "log": "transaction not found"}}
		default:
			resp["error"] = map[string]any{"code": -32601, "message": "Method not found"}
		}
		json.NewEncoder(w).Encode(resp)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestSendTimesOutWaitingForBlock(t *testing.T) {
	w := newWallet(t)
	w.ok("keys", "add", "alice", "--keyring-backend", "test")
	node := stuckNode(t)
	args := []string{"send", "alice", addrFromSeed(t, 2), "5TALLY", "--node", node.URL, "--api", node.URL, "--chain-id", "stuck-chain", "--timeout", "1s"}
	r := w.run(args...)
	line := checkFailure(t, r, "is not in a block yet after 1s (it may still commit): do not send it again; wait for it with", args)
	if r.code != 3 || !strings.HasPrefix(line, "Error: transaction ") || !strings.Contains(line, "tx wait ") {
		t.Fatalf("exit %d, error line %q", r.code, line)
	}
	if !strings.Contains(r.stdout, "status:  submitted, not yet in a block") {
		t.Fatalf("timeout output:\n%s", r.stdout)
	}
	// Without waiting, the same send succeeds and says so.
	r = w.ok("send", "alice", addrFromSeed(t, 2), "5TALLY", "--node", node.URL, "--api", node.URL, "--chain-id", "stuck-chain", "--no-wait")
	if !strings.Contains(r.stdout, "status:  submitted") {
		t.Fatalf("no-wait output:\n%s", r.stdout)
	}
}
