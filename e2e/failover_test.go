package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tallyledger/tally/client"
	"github.com/tallyledger/tally/ledger"
)

// `tally send --node a,b` with node a dead: the wallet says it moves on,
// submits to b, and says which node reported the block; the transfer is
// committed once.
func TestWalletSendFailsOverToTheNextNode(t *testing.T) {
	net := startNet(t, defaultOpts())
	ctx := testCtx(t, 2*time.Minute)
	net.KillNode(3)
	nodes := net.RPCURL(3) + "," + net.RPCURL(1)
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, tallyBinary, "--home", net.WalletDir(), "--node", nodes, "--output", "json", "send", "alice", "bob", "5TALLY")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("tally send: %v\nstderr: %s", err, stderr.String())
	}
	for _, want := range []string{
		"node " + net.RPCURL(3) + " failed",
		"submitting the same signed transaction to " + net.RPCURL(1),
		"committed, as reported by " + net.RPCURL(1),
	} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
	if !strings.Contains(stdout.String(), `"status": "committed"`) {
		t.Errorf("not reported committed in the JSON output: %s", stdout.String())
	}
}

// A node frozen after it accepted the transaction: the failover sends the
// same bytes to the next node, and the transaction is in the chain once.
func TestFailoverResubmitsSameBytesWhenNodeFreezes(t *testing.T) {
	net := startNet(t, defaultOpts())
	ctx := testCtx(t, 2*time.Minute)
	w := openWallet(t, net)
	var nodes []*client.Client
	for _, i := range []int{0, 2} {
		c, err := client.New(net.RPCURL(i), client.WithAPIURL(net.APIURL(i)), client.WithRequestTimeout(2*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, c)
	}
	// node0 and node1 frozen: two of four validators, so no block until
	// node1 is resumed; node0 stays frozen with the transaction.
	tx := transfer(net.ChainID(), w.key("alice"), w.addr("bob"), 7, 0)
	if _, err := nodes[0].BroadcastSync(ctx, tx); err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 1} {
		if err := net.PauseNode(i); err != nil {
			t.Fatal(err)
		}
	}
	var switched []string
	f := &client.Failover{Nodes: nodes, OnSwitch: func(from, to string, _ error) { switched = append(switched, from+" -> "+to) }}
	done := make(chan struct{})
	var res *client.TxResult
	var rep *client.FailoverReport
	var err error
	go func() {
		defer close(done)
		res, rep, err = f.Commit(ctx, tx)
	}()
	if rerr := net.ResumeNode(1); rerr != nil {
		t.Fatal(rerr)
	}
	<-done
	if err != nil {
		t.Fatalf("commit: %v (switches %v)", err, switched)
	}
	if rep.Node != net.RPCURL(2) || len(switched) == 0 {
		t.Errorf("reported by %s after switches %v, want node2 after a switch", rep.Node, switched)
	}
	if res.Hash != ledger.TxHashString(tx) {
		t.Errorf("committed %s, sent %s", res.Hash, ledger.TxHashString(tx))
	}
	hist, total, herr := nodes[1].History(context.Background(), w.addr("alice").String(), 1, 10)
	if herr != nil || total != 1 || len(hist) != 1 {
		t.Errorf("alice's history on node2: %d entries (total %d, %v), want the one transfer", len(hist), total, herr)
	}
	if rerr := net.ResumeNode(0); rerr != nil {
		t.Fatal(rerr)
	}
}

// A comma-separated node list in the wallet's config (set with `tally
// config set node a,b`, or written into config.json by hand) fails over
// like --node a,b: with the first node dead, both sends say they move on
// to the next node and are committed once each.
func TestWalletConfigNodeListFailsOver(t *testing.T) {
	net := startNet(t, defaultOpts())
	ctx := testCtx(t, 3*time.Minute)
	net.KillNode(3)
	tally := func(args ...string) (string, string) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		cmd := exec.CommandContext(ctx, tallyBinary, append([]string{"--home", net.WalletDir()}, args...)...)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("tally %s: %v\nstderr: %s", strings.Join(args, " "), err, stderr.String())
		}
		return stdout.String(), stderr.String()
	}
	// The localnet's wallet points at node0's RPC and API; the API
	// belongs to the node, so it goes with it.
	tally("config", "set", "api", "")
	send := func(how string, live int) {
		t.Helper()
		stdout, stderr := tally("--output", "json", "send", "alice", "bob", "5TALLY")
		for _, want := range []string{
			"node " + net.RPCURL(3) + " failed",
			"submitting the same signed transaction to " + net.RPCURL(live),
			"committed, as reported by " + net.RPCURL(live),
		} {
			if !strings.Contains(stderr, want) {
				t.Errorf("%s: stderr lacks %q:\n%s", how, want, stderr)
			}
		}
		if !strings.Contains(stdout, `"status": "committed"`) {
			t.Errorf("%s: not reported committed in the JSON output: %s", how, stdout)
		}
	}

	tally("config", "set", "node", net.RPCURL(3)+","+net.RPCURL(1))
	send("tally config set node", 1)

	path := filepath.Join(net.WalletDir(), client.WalletConfigFile)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var conf map[string]any
	if err := json.Unmarshal(raw, &conf); err != nil {
		t.Fatal(err)
	}
	conf["node"] = net.RPCURL(3) + ", " + net.RPCURL(2)
	if raw, err = json.MarshalIndent(conf, "", "  "); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	send("config.json node key", 2)

	w := openWallet(t, net)
	lc, err := net.LedgerClient(2)
	if err != nil {
		t.Fatal(err)
	}
	hist, total, err := lc.History(ctx, w.addr("alice").String(), 1, 10)
	if err != nil || total != 2 || len(hist) != 2 {
		t.Errorf("alice's history: %d entries (total %d, %v), want the two transfers", len(hist), total, err)
	}
}
