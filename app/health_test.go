package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tallyledger/tally/internal/testutil"
)

func TestJudgeHealth(t *testing.T) {
	now := time.Unix(1000, 0)
	fresh := now.Add(-time.Second)
	stale := now.Add(-time.Minute)
	cases := []struct {
		name   string
		in     healthInputs
		reason string // "" = healthy
	}{
		{"synced with peers and blocks", healthInputs{height: 9, peers: 3, needsPeers: true, lastBlockAt: fresh, maxAge: 10 * time.Second}, ""},
		{"catching up", healthInputs{height: 9, catchingUp: true, peers: 3, needsPeers: true, lastBlockAt: stale, maxAge: 10 * time.Second}, "catching up"},
		{"alone", healthInputs{height: 9, needsPeers: true, lastBlockAt: fresh, maxAge: 10 * time.Second}, "no peers"},
		{"the only validator needs no peers", healthInputs{height: 9, lastBlockAt: fresh, maxAge: 10 * time.Second}, ""},
		{"no new block", healthInputs{height: 9, peers: 3, needsPeers: true, lastBlockAt: stale, maxAge: 10 * time.Second}, "no new block for 1m0s (last committed height 9"},
		{"no stall bound without empty blocks", healthInputs{height: 9, peers: 3, needsPeers: true, lastBlockAt: stale}, ""},
		{"data disk almost full", healthInputs{height: 9, peers: 3, needsPeers: true, lastBlockAt: fresh, diskLow: true, diskFree: 300 << 20, minFree: 256 << 20},
			"data disk almost full: 300 MiB free; the node stops below 256 MiB (min_free_disk_mib)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := judgeHealth(c.in, now)
			if c.reason == "" {
				if !h.Healthy || len(h.Reasons) != 0 {
					t.Fatalf("want healthy, got %+v", h)
				}
				return
			}
			if h.Healthy || len(h.Reasons) != 1 || !strings.Contains(h.Reasons[0], c.reason) {
				t.Fatalf("want one reason containing %q, got %+v", c.reason, h)
			}
		})
	}
}

// A single validator with Prometheus on: /metrics on CometBFT's listen
// address holds CometBFT's series and the app's tally_ series with the
// ledger's figures; /health on the ledger API answers 200 (the only
// validator needs no peers) and turns 503 once the node stops committing
// (its consensus is stopped, as when it is cut off from the others).
func TestNodeMetricsAndHealth(t *testing.T) {
	act := newActors(t)
	home := initTestHome(t, act)
	c, ac, err := LoadConfig(home)
	must(t, err)
	c.Instrumentation.Prometheus = true
	c.Instrumentation.PrometheusListenAddr = fmt.Sprintf("127.0.0.1:%d", freePort(t))
	must(t, WriteConfig(home, c, ac))
	n := startNode(t, home)
	waitHeight(t, n, 2)

	tx := newTx(t, act.alice).nonce(0).transfer(act.bob, "TALLY", 5).bytes()
	br, err := n.RPC().BroadcastTxSync(context.Background(), tx)
	if err != nil || br.Code != 0 {
		t.Fatalf("broadcast: %v %+v", err, br)
	}
	waitTx(t, n, br.Hash)
	bad := newTx(t, act.bob).nonce(5).transfer(act.alice, "TALLY", 1).bytes()
	if br, err := n.RPC().BroadcastTxSync(context.Background(), bad); err != nil || br.Code == 0 {
		t.Fatalf("broadcast of a bad nonce: %v %+v", err, br)
	}

	accounts := len(act.genesisState(t).Accounts)
	metrics := testutil.GetOK(t, "http://"+n.MetricsAddr()+"/metrics")
	for _, want := range []string{
		`tally_txs_checked_total{code="ok"} 1`,
		`tally_txs_checked_total{code="bad_nonce"} 1`,
		`tally_txs_executed_total{code="ok",result="accepted"} 1`,
		fmt.Sprintf("tally_state_accounts %d", accounts),
		"tally_proposals_open 0",
		"tally_block_execution_seconds_count",
		"tally_block_commit_seconds_count",
		"tally_tree_update_seconds_count",
		"tally_sig_cache_hit_ratio ",
		"tally_state_keys ",
		"tally_height ",
		"cometbft_consensus_height",
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	// The block's transaction was verified by CheckTx: its block found it
	// in the cache.
	if strings.Contains(metrics, "tally_sig_cache_hits_total 0\n") {
		t.Errorf("no signature cache hit")
	}
	if t.Failed() {
		t.Fatalf("/metrics:\n%s", metrics)
	}

	api := strings.Replace(n.APIAddr(), "tcp://", "http://", 1)
	code, h := getHealth(t, api)
	if code != http.StatusOK || !h.Healthy || h.Height < 2 {
		t.Fatalf("/health of a running validator: %d %+v", code, h)
	}

	// Consensus stops: no block comes any more, and after several block
	// times /health says so.
	must(t, n.CometNode().ConsensusReactor().Stop())
	waitFor(t, "/health to report the stall", time.Minute, func() bool {
		code, h = getHealth(t, api)
		return code == http.StatusServiceUnavailable
	})
	if h.Healthy || len(h.Reasons) != 1 || !strings.Contains(h.Reasons[0], "no new block for") {
		t.Fatalf("/health of a stalled node: %+v", h)
	}
}

func getHealth(t *testing.T, base string) (int, Health) {
	t.Helper()
	res, err := http.Get(base + "/health")
	if err != nil {
		t.Fatalf("GET /health: %v", err)
	}
	defer res.Body.Close()
	var h Health
	if err := json.NewDecoder(res.Body).Decode(&h); err != nil {
		t.Fatalf("GET /health: %d, body: %v", res.StatusCode, err)
	}
	return res.StatusCode, h
}
