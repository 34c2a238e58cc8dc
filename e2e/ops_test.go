package e2e

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tallyledger/tally/app"
	"github.com/tallyledger/tally/internal/testutil"
	"github.com/tallyledger/tally/localnet"
)

// Metrics scraped from every node of a four-validator network during a
// run of transfers hold CometBFT's and the app's series; /health on the
// ledger API answers 200, turns 503 with "no peers" on a node whose three
// peers are stopped (it can no longer vote a block through), and 200 again
// once they are back.
func TestMetricsAndHealth(t *testing.T) {
	net := startNet(t, defaultOpts())
	ctx := testCtx(t, 3*time.Minute)
	w := openWallet(t, net)
	alice, bob := w.key("alice"), w.addr("bob")
	if err := net.WaitAll(ctx, 2); err != nil {
		t.Fatal(err)
	}

	const n = 10
	var last []byte
	for i := uint64(0); i < n; i++ {
		tx := transfer(net.ChainID(), alice, bob, 1, i)
		if res, err := net.Client(0).BroadcastTxSync(ctx, tx); err != nil || res.Code != 0 {
			t.Fatalf("transfer %d: %v %+v", i, err, res)
		}
		last = tx
	}
	for i := 0; i < net.Len(); i++ {
		waitTx(ctx, t, net, i, last)
	}
	for i := 0; i < net.Len(); i++ {
		url := net.MetricsURL(i)
		if url == "" {
			t.Fatalf("node%d has no metrics endpoint", i)
		}
		body := testutil.GetOK(t, url)
		for _, want := range []string{
			`tally_txs_executed_total{code="ok",result="accepted"} 10`,
			`tally_txs_checked_total{code="ok"}`,
			"tally_state_accounts ",
			"tally_block_execution_seconds_count",
			"cometbft_consensus_height",
			"cometbft_p2p_peers",
		} {
			if !strings.Contains(body, want) {
				t.Errorf("node%d %s lacks %q", i, url, want)
			}
		}
	}

	healthOf := func(i int) (int, app.Health) {
		res, err := http.Get(net.APIURL(i) + "/health")
		if err != nil {
			t.Fatalf("node%d /health: %v", i, err)
		}
		defer res.Body.Close()
		var h app.Health
		if err := json.NewDecoder(res.Body).Decode(&h); err != nil {
			t.Fatalf("node%d /health: status %d, body: %v", i, res.StatusCode, err)
		}
		return res.StatusCode, h
	}
	for i := 0; i < net.Len(); i++ {
		if code, h := healthOf(i); code != http.StatusOK || !h.Healthy || h.Peers != 3 {
			t.Fatalf("node%d /health on a running network: %d %+v", i, code, h)
		}
	}

	for i := 1; i < 4; i++ {
		if err := net.StopNode(i); err != nil {
			t.Fatal(err)
		}
	}
	var h app.Health
	waitFor(ctx, t, "node0 /health to turn 503", func() (bool, error) {
		var code int
		code, h = healthOf(0)
		return code == http.StatusServiceUnavailable, nil
	})
	if h.Healthy || h.Peers != 0 || len(h.Reasons) == 0 || !strings.Contains(h.Reasons[0], "no peers") {
		t.Fatalf("node0 /health alone: %+v", h)
	}

	for i := 1; i < 4; i++ {
		if err := net.RestartNode(i); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(ctx, t, "node0 /health to turn 200 again", func() (bool, error) {
		var code int
		code, h = healthOf(0)
		return code == http.StatusOK, nil
	})
	if !h.Healthy || h.Peers == 0 {
		t.Fatalf("node0 /health after the others returned: %+v", h)
	}
}

// A validator stopped and backed up with tallyd backup, then run on while
// the chain moves on, is stopped again, restored from the backup (refused
// without --force while it has data) and restarted: it catches up and
// agrees with the others on every app hash and on the balances.
func TestBackupRestoreRejoins(t *testing.T) {
	net := startNet(t, defaultOpts())
	ctx := testCtx(t, 3*time.Minute)
	w := openWallet(t, net)
	alice, bob := w.key("alice"), w.addr("bob")
	if err := net.WaitAll(ctx, 2); err != nil {
		t.Fatal(err)
	}
	send := func(nonce uint64) {
		tx := transfer(net.ChainID(), alice, bob, 1, nonce)
		if res, err := net.Client(0).BroadcastTxSync(ctx, tx); err != nil || res.Code != 0 {
			t.Fatalf("transfer %d: %v %+v", nonce, err, res)
		}
		waitTx(ctx, t, net, 0, tx)
	}
	send(0)

	if err := net.StopNode(3); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "node3.tar.gz")
	if r := runBinary(t, tallydBinary, "backup", "--home", net.Home(3), "--output", file); r.code != 0 || !strings.Contains(r.stdout, "Backed up chain") {
		t.Fatalf("backup: %s", r)
	}
	if err := net.RestartNode(3); err != nil {
		t.Fatal(err)
	}
	send(1)
	send(2)
	h0, err := net.Height(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := net.WaitHeight(ctx, 3, h0); err != nil {
		t.Fatal(err)
	}
	if r := runBinary(t, tallydBinary, "backup", "--home", net.Home(3), "--output", file+".2"); r.code == 0 || !strings.Contains(r.stderr, "is running") {
		t.Fatalf("backup of a running node: %s", r)
	}
	if err := net.StopNode(3); err != nil {
		t.Fatal(err)
	}
	if r := runBinary(t, tallydBinary, "restore", "--home", net.Home(3), "--input", file); r.code == 0 || !strings.Contains(r.stderr, "--force") {
		t.Fatalf("restore over data without --force: %s", r)
	}
	if r := runBinary(t, tallydBinary, "restore", "--home", net.Home(3), "--input", file, "--force"); r.code != 0 || !strings.Contains(r.stdout, "Restored chain") {
		t.Fatalf("restore: %s", r)
	}
	if err := net.RestartNode(3); err != nil {
		t.Fatal(err)
	}
	target, err := net.Height(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := net.WaitHeight(ctx, 3, target+1); err != nil {
		t.Fatal(err)
	}
	for h := int64(1); h <= target; h++ {
		assertSameAppHash(ctx, t, net, h, 0, 3)
	}
	if got, want := balanceOf(t, queryAccount(ctx, t, net, 3, bob), localnet.Asset), uint64(localnet.InitialBalance+3); got != want {
		t.Errorf("restored node3: bob holds %d, want %d", got, want)
	}
}
