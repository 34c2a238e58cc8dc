package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tallyledger/tally/client"
	"github.com/tallyledger/tally/crypto"
	"github.com/tallyledger/tally/ledger"
	"github.com/tallyledger/tally/localnet"
	"github.com/tallyledger/tally/wire"
)

// The end-to-end tests drive the real tally binary against a real
// four-validator localnet of tallyd processes, shared by the tests below.

// walletArgs prefixes args with the localnet wallet's home and node i.
func walletArgs(net *localnet.Net, i int, args ...string) []string {
	return append([]string{"--home", net.WalletDir(), "--node", net.RPCURL(i)}, args...)
}

// accountOn reads an account through the CLI from node i.
func accountOn(t *testing.T, net *localnet.Net, i int, who string) accountView {
	t.Helper()
	var a accountView
	r := tallyOK(t, nil, walletArgs(net, i, "query", "account", who, "--output", "json")...)
	decodeJSON(t, r.stdout, &a)
	return a
}

// txOK runs a wallet command that commits a transaction through a node
// and waits until every node has committed the transaction's block, so
// that what the test reads next from any node includes it.
func txOK(t *testing.T, net *localnet.Net, args ...string) cliRun {
	t.Helper()
	r := tallyOK(t, nil, args...)
	m := regexp.MustCompile(`(?m)^height:\s+(\d+)$`).FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("no height in the output of %s", r)
	}
	h, _ := strconv.ParseInt(m[1], 10, 64)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	if err := net.WaitAll(ctx, h); err != nil {
		t.Fatal(err)
	}
	return r
}

func balanceOn(t *testing.T, net *localnet.Net, i int, who string) uint64 {
	t.Helper()
	a := accountOn(t, net, i, who)
	return a.Balance(localnet.Asset)
}

// eventually retries cond until it holds or the deadline passes.
func eventually(t *testing.T, d time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(d)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not reached after %s (last: %s)", what, d, state)
		}
		<-tick.C
	}
}

func nodeClient(t *testing.T, net *localnet.Net, i int) *client.Client {
	t.Helper()
	c, err := client.New(net.RPCURL(i), client.WithAPIURL(net.APIURL(i)))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestE2ESendQueryHistory(t *testing.T) {
	net := sharedNet(t)
	before := balanceOn(t, net, 0, "bob")

	r := tallyOK(t, nil, walletArgs(net, 0, "send", "alice", "bob", "25TALLY", "--memo", "e2e send")...)
	for _, want := range []string{"hash:", "height:", "result:  ok"} {
		if !strings.Contains(r.stdout, want) {
			t.Fatalf("send output lacks %q:\n%s", want, r.stdout)
		}
	}
	var out txOutcome
	r = tallyOK(t, nil, walletArgs(net, 1, "send", "alice", "bob", "5TALLY", "--output", "json")...)
	decodeJSON(t, r.stdout, &out)
	if out.Status != "committed" || out.Height <= 0 || out.Code != 0 || len(out.Hash) != 64 {
		t.Fatalf("send JSON = %+v", out)
	}

	// Every node shows bob 30 richer once it has the block.
	for i := 0; i < net.Len(); i++ {
		eventually(t, 20*time.Second, fmt.Sprintf("bob's balance on node%d", i), func() (bool, string) {
			got := balanceOn(t, net, i, "bob")
			return got == before+30, fmt.Sprint(got)
		})
	}
	// The account JSON has the documented shape.
	raw := tallyOK(t, nil, walletArgs(net, 2, "query", "account", "bob", "--output", "json")...).stdout
	var shape map[string]any
	decodeJSON(t, raw, &shape)
	for _, k := range []string{"address", "nonce", "frozen", "roles", "balances"} {
		if _, ok := shape[k]; !ok {
			t.Errorf("account JSON lacks %q: %s", k, raw)
		}
	}
	if bals, _ := shape["balances"].([]any); len(bals) == 0 {
		t.Errorf("no balances in %s", raw)
	} else if b, _ := bals[0].(map[string]any); b["asset"] != "TALLY" {
		t.Errorf("balance %v", b)
	} else if _, isString := b["amount"].(string); !isString {
		t.Errorf("amount is not a decimal string: %s", raw)
	}

	// query tx shows the transfer, decoded, on another node.
	var tx client.TxResult
	decodeJSON(t, tallyOK(t, nil, walletArgs(net, 3, "query", "tx", out.Hash, "--output", "json")...).stdout, &tx)
	if tx.Hash != out.Hash || tx.Height != out.Height || tx.Body.Msg.Type != "transfer" || tx.Body.Msg.Amount != "5" ||
		tx.Body.Msg.Asset != "TALLY" || tx.Sender != accountOn(t, net, 0, "alice").Address {
		t.Fatalf("query tx = %+v", tx)
	}
	text := tallyOK(t, nil, walletArgs(net, 3, "query", "tx", out.Hash)...).stdout
	if !strings.Contains(text, "transfer 5TALLY to "+shape["address"].(string)) {
		t.Fatalf("query tx text:\n%s", text)
	}

	// History, newest first, holds both transfers.
	var hist struct {
		Total int               `json:"total"`
		Txs   []client.TxResult `json:"txs"`
	}
	decodeJSON(t, tallyOK(t, nil, walletArgs(net, 0, "query", "history", "bob", "--per-page", "5", "--output", "json")...).stdout, &hist)
	if len(hist.Txs) < 2 || hist.Txs[0].Hash != out.Hash || hist.Txs[1].Body.Memo != "e2e send" {
		t.Fatalf("history = %+v", hist)
	}
	for i := 1; i < len(hist.Txs); i++ {
		a, b := hist.Txs[i-1], hist.Txs[i]
		if a.Height < b.Height || (a.Height == b.Height && a.Index < b.Index) {
			t.Fatalf("history not newest first: %d/%d before %d/%d", a.Height, a.Index, b.Height, b.Index)
		}
	}
	// Page 2 of one-per-page is the second newest.
	decodeJSON(t, tallyOK(t, nil, walletArgs(net, 0, "query", "history", "bob", "--page", "2", "--per-page", "1", "--output", "json")...).stdout, &hist)
	if len(hist.Txs) != 1 || hist.Txs[0].Body.Memo != "e2e send" {
		t.Fatalf("history page 2 = %+v", hist.Txs)
	}
}

func TestE2ERejectionsAndQueries(t *testing.T) {
	net := sharedNet(t)
	// More than bob holds: the ledger's reason, exit 1.
	line := tallyFails(t, nil, "insufficient_funds", walletArgs(net, 0, "send", "bob", "alice", "999999999TALLY")...)
	if !strings.Contains(line, "rejected") {
		t.Fatalf("error line %q", line)
	}
	tallyFails(t, nil, "unknown_asset", walletArgs(net, 0, "send", "bob", "alice", "1NOPE")...)
	// Only the issuer mints.
	tallyFails(t, nil, "unauthorized", walletArgs(net, 0, "mint", "bob", "bob", "1TALLY")...)
	tallyFails(t, nil, "is not in any block", walletArgs(net, 0, "query", "tx", strings.Repeat("AB", 32))...)
	tallyFails(t, nil, "does not exist", walletArgs(net, 0, "query", "asset", "NOPE")...)

	st := tallyOK(t, nil, walletArgs(net, 0, "status", "--output", "json")...)
	var status client.Status
	decodeJSON(t, st.stdout, &status)
	if status.ChainID != net.ChainID() || status.LatestHeight < 1 {
		t.Fatalf("status = %+v", status)
	}
	var vals struct {
		Validators []client.Validator `json:"validators"`
	}
	decodeJSON(t, tallyOK(t, nil, walletArgs(net, 1, "query", "validators", "--output", "json")...).stdout, &vals)
	if len(vals.Validators) != 4 {
		t.Fatalf("validators = %+v", vals)
	}
	var assets []client.Asset
	decodeJSON(t, tallyOK(t, nil, walletArgs(net, 2, "query", "assets", "--output", "json")...).stdout, &assets)
	if len(assets) == 0 || assets[0].Symbol != "TALLY" || assets[0].Supply == 0 {
		t.Fatalf("assets = %+v", assets)
	}
	var nodes []wire.NodeResult
	decodeJSON(t, tallyOK(t, nil, walletArgs(net, 3, "query", "nodes", "--output", "json")...).stdout, &nodes)
	allowed := 0
	for _, n := range nodes {
		if n.Allowed {
			allowed++
		}
	}
	if allowed != 4 {
		t.Fatalf("nodes = %+v", nodes)
	}
	var block client.Block
	decodeJSON(t, tallyOK(t, nil, walletArgs(net, 0, "query", "block", "1", "--output", "json")...).stdout, &block)
	if block.Height != 1 || block.ChainID != net.ChainID() {
		t.Fatalf("block = %+v", block)
	}
}

// TestE2EManySendsWithoutWaiting fires sends from one account without
// waiting for their blocks, and checks that every one commits once, in
// nonce order.
func TestE2EManySendsWithoutWaiting(t *testing.T) {
	net := sharedNet(t)
	const n = 20
	c := nodeClient(t, net, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	alice := accountOn(t, net, 0, "alice")
	bobBefore := balanceOn(t, net, 0, "bob")
	startNonce := alice.PendingNonce

	hashes := make([]string, 0, n)
	for i := 0; i < n; i++ {
		var out txOutcome
		r := tallyOK(t, nil, walletArgs(net, 0, "send", "alice", "bob", "1TALLY", "--no-wait", "--output", "json")...)
		decodeJSON(t, r.stdout, &out)
		if out.Status != "submitted" || out.Nonce != startNonce+uint64(i) {
			t.Fatalf("send %d: %+v, want nonce %d", i, out, startNonce+uint64(i))
		}
		hashes = append(hashes, out.Hash)
	}
	// A few more from concurrent processes: they race for nonces and retry.
	const concurrent = 5
	var wg sync.WaitGroup
	outs := make([]cliRun, concurrent)
	for i := 0; i < concurrent; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			outs[i] = tally(t, nil, walletArgs(net, 0, "send", "alice", "bob", "1TALLY", "--no-wait", "--output", "json")...)
		}(i)
	}
	wg.Wait()
	for _, r := range outs {
		if r.code != 0 {
			t.Fatalf("concurrent send: %s", r)
		}
		var out txOutcome
		decodeJSON(t, r.stdout, &out)
		hashes = append(hashes, out.Hash)
	}

	type committed struct {
		nonce  uint64
		height int64
		index  uint32
	}
	var got []committed
	for _, h := range hashes {
		res, err := c.WaitTx(ctx, h)
		if err != nil {
			t.Fatalf("transaction %s: %v", h, err)
		}
		got = append(got, committed{*res.Body.Nonce, res.Height, res.Index})
	}
	sort.Slice(got, func(i, j int) bool { return got[i].nonce < got[j].nonce })
	for i, g := range got {
		if g.nonce != startNonce+uint64(i) {
			t.Fatalf("nonces %+v: want %d..%d, each once", got, startNonce, startNonce+n+concurrent-1)
		}
		if i > 0 {
			p := got[i-1]
			if p.height > g.height || (p.height == g.height && p.index >= g.index) {
				t.Fatalf("nonce %d committed at %d/%d, before nonce %d at %d/%d", g.nonce, g.height, g.index, p.nonce, p.height, p.index)
			}
		}
	}
	total := uint64(n + concurrent)
	eventually(t, 20*time.Second, "bob's balance", func() (bool, string) {
		b := balanceOn(t, net, 0, "bob")
		return b == bobBefore+total, fmt.Sprint(b)
	})
	if a := accountOn(t, net, 0, "alice"); a.Nonce != startNonce+total {
		t.Fatalf("alice's nonce %d, want %d", a.Nonce, startNonce+total)
	}
}

// TestE2EOfflineSigning generates a transaction on one home, signs it on
// another with no node reachable, and broadcasts it from a third; the
// signed file cannot be replayed nor used on another chain.
func TestE2EOfflineSigning(t *testing.T) {
	net := sharedNet(t)
	dir := t.TempDir()
	genHome, signHome, sendHome := filepath.Join(dir, "gen"), filepath.Join(dir, "sign"), filepath.Join(dir, "send")

	// The signing home gets a copy of alice's key, encrypted.
	var secret struct {
		PrivateKey string `json:"private_key"`
	}
	decodeJSON(t, tallyOK(t, nil, "--home", net.WalletDir(), "keys", "export", "alice", "--output", "json").stdout, &secret)
	pw := []string{"TALLY_PASSWORD=offline signing 123"}
	keyFile := filepath.Join(dir, "alice.hex")
	if err := os.WriteFile(keyFile, []byte(secret.PrivateKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tallyOK(t, pw, "--home", signHome, "keys", "import", "alice", keyFile)
	alice := strings.TrimSpace(tallyOK(t, nil, "--home", signHome, "keys", "show", "alice", "-a").stdout)
	bob := accountOn(t, net, 0, "bob").Address
	bobBefore := balanceOn(t, net, 0, "bob")

	// 1. Generate with a node: chain ID and nonce filled in.
	unsigned := filepath.Join(dir, "unsigned.json")
	tallyOK(t, nil, "--home", genHome, "--node", net.RPCURL(1), "send", alice, bob, "7TALLY", "--generate-only", "--out", unsigned)
	var u client.UnsignedTx
	data, _ := os.ReadFile(unsigned)
	decodeJSON(t, string(data), &u)
	if u.ChainID != net.ChainID() || u.Body.Nonce == nil {
		t.Fatalf("unsigned file:\n%s", data)
	}

	// 2. Sign with no node at all.
	offline := []string{"--home", signHome, "--node", closedPort(t)}
	signed := filepath.Join(dir, "signed.json")
	tallyOK(t, pw, append(offline, "tx", "sign", unsigned, "--from", "alice", "--out", signed)...)
	otherChain := filepath.Join(dir, "other-chain.json")
	tallyOK(t, pw, append(offline, "tx", "sign", unsigned, "--from", "alice", "--chain-id", "another-chain", "--out", otherChain)...)

	// 3. Broadcast from a home with no keys.
	var out txOutcome
	decodeJSON(t, tallyOK(t, nil, "--home", sendHome, "--node", net.RPCURL(2), "tx", "broadcast", signed, "--output", "json").stdout, &out)
	if out.Status != "committed" || out.Code != 0 {
		t.Fatalf("broadcast: %+v", out)
	}
	eventually(t, 20*time.Second, "bob's balance", func() (bool, string) {
		b := balanceOn(t, net, 0, "bob")
		return b == bobBefore+7, fmt.Sprint(b)
	})

	// Replay: refused, on any node.
	for i := 0; i < 2; i++ {
		tallyFails(t, nil, "a signed transaction commits only once", "--home", sendHome, "--node", net.RPCURL(i), "tx", "broadcast", signed)
	}
	// Another chain: refused before it is sent.
	tallyFails(t, nil, `was signed for chain "another-chain" but node`, "--home", sendHome, "--node", net.RPCURL(0), "tx", "broadcast", otherChain)
	// Claiming the right chain in the file breaks the signature.
	forged := filepath.Join(dir, "forged.json")
	fdata, _ := os.ReadFile(otherChain)
	os.WriteFile(forged, []byte(strings.Replace(string(fdata), `"another-chain"`, `"`+net.ChainID()+`"`, 1)), 0o644)
	tallyFails(t, nil, `signature does not verify for chain "`+net.ChainID()+`"`, "--home", sendHome, "--node", net.RPCURL(0), "tx", "broadcast", forged)

	// A transaction signed for a nonce that another transaction used first.
	next := accountOn(t, net, 0, "alice").PendingNonce
	late := filepath.Join(dir, "late.json")
	tallyOK(t, pw, append(offline, "tx", "sign", unsigned, "--from", "alice", "--chain-id", net.ChainID(),
		"--nonce", fmt.Sprint(next), "--out", late)...)
	tallyOK(t, nil, walletArgs(net, 0, "send", "alice", "bob", "1TALLY")...)
	tallyFails(t, nil, fmt.Sprintf("nonce %d of %s is already used", next, alice), "--home", sendHome, "--node", net.RPCURL(0), "tx", "broadcast", late)
}

// raiseBalances answers every balance key with 1,000,000 more than the
// truth, encoded as the ledger does.
func raiseBalances(key string, value []byte) ([]byte, bool) {
	if !strings.HasPrefix(key, ledger.PrefixBalance) {
		return nil, false
	}
	amount, err := ledger.DecodeBalance(value)
	if err != nil {
		return nil, false
	}
	forged, _ := ledger.Marshal(amount + 1_000_000)
	return forged, true
}

// dropHolding leaves the last asset out of every holdings answer (the
// whole record when it was the only one): the node hides a balance.
func dropHolding(key string, value []byte) ([]byte, bool) {
	if !strings.HasPrefix(key, ledger.PrefixHoldings) {
		return nil, false
	}
	held, err := ledger.DecodeHoldings(value)
	if err != nil || len(held) == 0 {
		return nil, false
	}
	if len(held) == 1 {
		return []byte{}, true
	}
	forged, _ := ledger.Marshal(held[:len(held)-1])
	return forged, true
}

// lyingProxy forwards to a node's RPC and changes the value of abci_query
// answers with lie, as a dishonest node would (an empty forged value
// claims the key absent).
func lyingProxy(t *testing.T, target string, lie func(key string, value []byte) ([]byte, bool)) *httptest.Server {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	lied := 0
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ModifyResponse = func(resp *http.Response) error {
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		var msg map[string]any
		if json.Unmarshal(body, &msg) == nil {
			if res, ok := msg["result"].(map[string]any); ok {
				if r, ok := res["response"].(map[string]any); ok {
					key, _ := base64.StdEncoding.DecodeString(fmt.Sprint(r["key"]))
					v, _ := base64.StdEncoding.DecodeString(fmt.Sprint(r["value"]))
					if forged, ok := lie(string(key), v); ok {
						if len(forged) == 0 {
							delete(r, "value")
						} else {
							r["value"] = base64.StdEncoding.EncodeToString(forged)
						}
						body, _ = json.Marshal(msg)
						mu.Lock()
						lied++
						mu.Unlock()
					}
				}
			}
		}
		resp.Body = io.NopCloser(strings.NewReader(string(body)))
		resp.ContentLength = int64(len(body))
		resp.Header.Set("Content-Length", fmt.Sprint(len(body)))
		return nil
	}
	srv := httptest.NewServer(rp)
	t.Cleanup(func() {
		srv.Close()
		mu.Lock()
		defer mu.Unlock()
		if lied == 0 && !t.Failed() {
			t.Errorf("the lying proxy never changed an answer")
		}
	})
	return srv
}

func TestE2EProveAccount(t *testing.T) {
	net := sharedNet(t)
	// Honest node, another node as witness.
	var a accountView
	r := tallyOK(t, nil, walletArgs(net, 0, "query", "account", "alice", "--prove", "--witness", net.RPCURL(1), "--output", "json")...)
	decodeJSON(t, r.stdout, &a)
	if a.Proof == nil || a.Proof.Height < 1 || a.Proof.HeaderHeight != a.Proof.Height+1 ||
		len(a.Proof.Keys) < 2 || a.Balance(localnet.Asset) == 0 || a.Proof.Root == nil {
		t.Fatalf("proven account = %+v proof %+v", a, a.Proof)
	}
	// localnet pinned the chain ID and genesis hash (the node's /genesis
	// matched them); the first verified read pinned the first header too.
	conf, err := client.LoadWalletConfig(net.WalletDir())
	if err != nil || conf.Trust == nil || *conf.Trust != *a.Proof.Root || conf.Trust.Header1Hash == "" {
		t.Fatalf("pinned trust root %+v (%v), want %+v", conf.Trust, err, a.Proof.Root)
	}
	r = tallyOK(t, nil, walletArgs(net, 0, "query", "account", "alice", "--prove", "--witness", net.RPCURL(1))...)
	if !strings.Contains(r.stdout, "trusted:  the node's root matches the one pinned in "+client.WalletConfigPath(net.WalletDir())) ||
		!strings.Contains(r.stdout, "witnesses: every header cross-checked against "+net.RPCURL(1)) {
		t.Fatalf("second verified read:\n%s", r.stdout)
	}
	// The queried node is no witness of itself.
	tallyFails(t, nil, "is the queried node itself", walletArgs(net, 0, "query", "account", "alice", "--prove", "--witness", net.RPCURL(0))...)
	// A wallet pinned to another chain refuses this one.
	other := t.TempDir()
	wrong := *conf
	root := *conf.Trust
	root.GenesisHash = strings.Repeat("AB", 32)
	wrong.Trust = &root
	if err := client.SaveWalletConfig(other, &wrong); err != nil {
		t.Fatal(err)
	}
	tallyFails(t, nil, "does not match the pinned trust root: genesis hash", "--home", other, "--node", net.RPCURL(0), "query", "account", a.Address, "--prove")
	plain := accountOn(t, net, 0, "alice")
	if plain.Address != a.Address || len(plain.Roles) != len(a.Roles) {
		t.Fatalf("proven %+v, plain %+v", a, plain)
	}

	// An explicit trusted header: block 2's hash from another node.
	var b client.Block
	decodeJSON(t, tallyOK(t, nil, walletArgs(net, 3, "query", "block", "2", "--output", "json")...).stdout, &b)
	r = tallyOK(t, nil, walletArgs(net, 0, "query", "account", "bob", "--prove", "--trust-height", "2", "--trust-hash", b.Hash)...)
	if !strings.Contains(r.stdout, "proven:") || !strings.Contains(r.stdout, "from trusted header 2 "+b.Hash) ||
		!strings.Contains(r.stdout, "witnesses: none: the headers were not cross-checked") {
		t.Fatalf("prove with trusted header:\n%s", r.stdout)
	}
	// A wrong trusted hash is refused.
	bad := strings.Repeat("AB", 32)
	tallyFails(t, nil, "light client", walletArgs(net, 0, "query", "account", "bob", "--prove", "--trust-height", "2", "--trust-hash", bad)...)

	// A node that lies about a balance is caught.
	proxy := lyingProxy(t, net.RPCURL(0), raiseBalances)
	lieArgs := []string{"--home", net.WalletDir(), "--node", proxy.URL, "--api", net.APIURL(0)}
	line := tallyFails(t, nil, "does not match the app hash of verified header",
		append(lieArgs, "query", "account", "alice", "--prove", "--witness", net.RPCURL(1))...)
	if !strings.Contains(line, "proof for balance of "+a.Address+" in TALLY") {
		t.Fatalf("error line %q", line)
	}

	// A node that leaves a balance out (its holdings record without the
	// asset) is caught too: the read is complete.
	if len(a.Balances) == 0 || len(a.Proof.Keys) != 2+len(a.Balances) {
		t.Fatalf("proven keys %+v for balances %+v: want the account, its holdings and each balance", a.Proof.Keys, a.Balances)
	}
	hider := lyingProxy(t, net.RPCURL(0), dropHolding)
	hideArgs := []string{"--home", net.WalletDir(), "--node", hider.URL, "--api", net.APIURL(0)}
	line = tallyFails(t, nil, "does not match the app hash of verified header",
		append(hideArgs, "query", "account", "alice", "--prove", "--witness", net.RPCURL(1))...)
	if !strings.Contains(line, "proof for the holdings (assets held) of "+a.Address) {
		t.Fatalf("error line %q", line)
	}
}

// TestE2EGovernance registers, freezes and funds accounts through proposals
// (threshold 1: the proposal executes at once), and mints and burns.
func TestE2EGovernance(t *testing.T) {
	net := sharedNet(t)
	carolHome := t.TempDir()
	tallyOK(t, nil, "--home", carolHome, "keys", "add", "carol", "--keyring-backend", "test")
	carol := strings.TrimSpace(tallyOK(t, nil, "--home", carolHome, "keys", "show", "carol", "-a").stdout)
	if _, err := crypto.ParseAddress(carol); err != nil {
		t.Fatal(err)
	}

	// Unregistered accounts cannot receive.
	tallyFails(t, nil, "unknown_account", walletArgs(net, 0, "send", "alice", carol, "1TALLY")...)

	r := txOK(t, net, walletArgs(net, 0, "gov", "propose", "admin", "register-account", carol, "--role", "member")...)
	if !strings.Contains(r.stdout, "(approved and executed)") {
		t.Fatalf("propose output:\n%s", r.stdout)
	}
	txOK(t, net, walletArgs(net, 1, "send", "alice", carol, "10TALLY")...)
	carolNode := []string{"--home", carolHome, "--node", net.RPCURL(2)}
	txOK(t, net, append(carolNode, "send", "carol", accountOn(t, net, 0, "bob").Address, "3TALLY")...)

	// Freeze: carol can no longer send.
	txOK(t, net, walletArgs(net, 0, "gov", "propose", "admin", "freeze", carol, "--reason", "e2e audit")...)
	a := accountOn(t, net, 0, carol)
	if !a.Frozen || a.FrozenReason != "e2e audit" {
		t.Fatalf("carol after freeze: %+v", a)
	}
	tallyFails(t, nil, "frozen", append(carolNode, "send", "carol", accountOn(t, net, 0, "bob").Address, "1TALLY")...)
	// A frozen account still receives (params.freeze_blocks_receive is
	// false by default, as the README says).
	txOK(t, net, walletArgs(net, 1, "send", "alice", carol, "2TALLY")...)
	if got := balanceOn(t, net, 0, carol); got != 9 {
		t.Fatalf("frozen carol holds %d TALLY, want 9 (10 - 3 + 2)", got)
	}
	txOK(t, net, walletArgs(net, 0, "gov", "propose", "admin", "unfreeze", carol)...)

	// A new asset, minted and burned by its issuer.
	txOK(t, net, walletArgs(net, 0, "gov", "propose", "admin", "create-asset", "EUR", "--issuer", "admin")...)
	txOK(t, net, walletArgs(net, 0, "mint", "admin", carol, "100EUR")...)
	txOK(t, net, walletArgs(net, 0, "mint", "admin", "admin", "50EUR")...)
	txOK(t, net, walletArgs(net, 0, "burn", "admin", "20EUR")...)
	var eur client.Asset
	decodeJSON(t, tallyOK(t, nil, walletArgs(net, 1, "query", "asset", "EUR", "--output", "json")...).stdout, &eur)
	if eur.Supply != 130 {
		t.Fatalf("EUR = %+v", eur)
	}
	if got := accountOn(t, net, 3, carol).Balance("EUR"); got != 100 {
		t.Fatalf("carol holds %d EUR", got)
	}

	// The proposals are listed and shown.
	var ps []client.Proposal
	decodeJSON(t, tallyOK(t, nil, walletArgs(net, 0, "gov", "list", "--output", "json")...).stdout, &ps)
	if len(ps) < 4 {
		t.Fatalf("proposals = %+v", ps)
	}
	var p client.Proposal
	decodeJSON(t, tallyOK(t, nil, walletArgs(net, 0, "gov", "show", fmt.Sprint(ps[0].ID), "--output", "json")...).stdout, &p)
	if p.Status != "executed" || p.Action.Type == "" {
		t.Fatalf("proposal = %+v", p)
	}
	// Voting on an executed proposal is refused with the ledger's reason.
	tallyFails(t, nil, "proposal_closed", walletArgs(net, 0, "gov", "approve", "admin", fmt.Sprint(ps[0].ID))...)
}
