package e2e

import (
	"context"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tallyledger/tally/client"
	"github.com/tallyledger/tally/ledger"
	"github.com/tallyledger/tally/localnet"
)

// A damaged CometBFT tx index (behind the `tx` and `tx_search` RPCs; the
// wallet reads the ledger's own index) never leaves lookups silently
// missing: missing
// heights (a crash before the index was written, a lost directory) are
// indexed again at start-up; with its manifest garbled it refuses to start with
// one line naming the index and `tallyd reindex`, which rebuilds it. Each
// time, every committed transfer is found by hash and in the history.
func TestDamagedTxIndexRepairedOrRefused(t *testing.T) {
	net := startNet(t, localnet.Options{Validators: 1})
	ctx := testCtx(t, 3*time.Minute)
	w := openWallet(t, net)
	alice, bob := w.key("alice"), w.addr("bob")
	var hashes []string
	for nonce := uint64(0); nonce < 30; nonce++ {
		tx := transfer(net.ChainID(), alice, bob, 1, nonce)
		if res, err := net.Client(0).BroadcastTxSync(ctx, tx); err != nil || res.Code != 0 {
			t.Fatalf("transfer %d: %v %+v", nonce, err, res)
		}
		hashes = append(hashes, ledger.TxHashString(tx))
	}
	waitTx(ctx, t, net, 0, transfer(net.ChainID(), alice, bob, 1, 29))
	indexDir := filepath.Join(net.Home(0), "data", "tx_index.db")

	assertAllFound := func(when string) {
		t.Helper()
		c, err := client.New(net.RPCURL(0), client.WithAPIURL(net.APIURL(0)))
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hashes {
			if _, err := c.Tx(ctx, h); err != nil {
				t.Errorf("%s: transfer %s: %v", when, h, err)
			}
			raw, _ := hex.DecodeString(h)
			if _, err := net.Client(0).Tx(ctx, raw, false); err != nil {
				t.Errorf("%s: CometBFT's tx index: transfer %s: %v", when, h, err)
			}
		}
		hist, total, err := c.History(ctx, alice.PubKey().Address().String(), 1, 100)
		if err != nil {
			t.Fatal(err)
		}
		if total != len(hashes) || len(hist) != len(hashes) {
			t.Errorf("%s: alice's history holds %d (total %d), want %d", when, len(hist), total, len(hashes))
		}
	}

	// 1. The index lost (as after a crash before the index was written, or
	// a disk that lost the directory): repaired at start.
	if err := net.StopNode(0); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(indexDir); err != nil {
		t.Fatal(err)
	}
	if err := net.RestartNode(0); err != nil {
		t.Fatal(err)
	}
	waitStarted(ctx, t, net)
	assertAllFound("after the index was lost")
	if b, _ := os.ReadFile(net.LogFile(0)); !strings.Contains(string(b), "tx index repaired") {
		t.Errorf("the node did not log the repair of its tx index")
	}

	// 2. The manifest garbled: start refuses, reindex rebuilds.
	if err := net.StopNode(0); err != nil {
		t.Fatal(err)
	}
	manifests, _ := filepath.Glob(filepath.Join(indexDir, "MANIFEST-*"))
	if len(manifests) == 0 {
		t.Fatalf("no manifest in %s", indexDir)
	}
	if err := os.WriteFile(manifests[0], []byte("garbage, not a leveldb manifest at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.CommandContext(ctx, tallydBinary, "start", "--home", net.Home(0)).CombinedOutput()
	if err == nil {
		t.Fatal("tallyd started on a garbled tx index")
	}
	last := lastLine(string(out))
	for _, want := range []string{"tx index", "tx_index.db", "tallyd reindex --home"} {
		if !strings.Contains(last, want) {
			t.Errorf("start error does not mention %q: %s", want, last)
		}
	}
	if strings.Contains(string(out), "goroutine ") || strings.Contains(string(out), "panic:") {
		t.Errorf("start printed a Go panic:\n%s", out)
	}
	out, err = exec.CommandContext(ctx, tallydBinary, "reindex", "--home", net.Home(0)).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "30 transactions") {
		t.Fatalf("tallyd reindex: %v: %s", err, out)
	}
	if err := net.RestartNode(0); err != nil {
		t.Fatal(err)
	}
	waitStarted(ctx, t, net)
	assertAllFound("after tallyd reindex")
}

// waitStarted waits for the single node's RPC and a new block.
func waitStarted(ctx context.Context, t *testing.T, net *localnet.Net) {
	t.Helper()
	var h int64
	waitFor(ctx, t, "node0 answers", func() (bool, error) {
		var err error
		h, err = net.Height(ctx, 0)
		return err == nil, err
	})
	if err := net.WaitHeight(ctx, 0, h+1); err != nil {
		t.Fatal(err)
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
