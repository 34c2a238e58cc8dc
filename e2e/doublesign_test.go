package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tallyledger/tally/localnet/faults"
)

// A validator started twice with the same key, on a process localnet
// under load: a second tallyd runs node1's validator key (fresh sign
// state, double-sign check off, its own node key and ports); the
// conflicting votes must end up as evidence in a block on every node,
// with the ledger's misbehavior event; once the duplicate is stopped the
// network goes on, node1 still runs and restarts, and the invariants hold.
func TestFaultsDoubleSignProcessLocalnet(t *testing.T) {
	ctx := testCtx(t, 10*time.Minute)
	fn := startFaultNet(t, ctx, false, tallydBinary)
	if err := fn.net.WaitAll(ctx, 3); err != nil {
		t.Fatal(err)
	}
	fn.run(ctx, func() (faults.Result, error) { return fn.inj.DoubleSign(ctx, 1, tallydBinary) })
	h := walletShowsEvidence(t, ctx, fn, 1)
	explorerShowsEvidence(t, fn, h, 1)
	fn.finish()
}

// The same on a docker localnet: the duplicate runs on the host and peers
// with the containers over their private network. Skipped where no Docker
// daemon answers or without root.
func TestFaultsDoubleSignDockerLocalnet(t *testing.T) {
	ctx := testCtx(t, 12*time.Minute)
	bin := dockerTallyd(t, ctx)
	fn := startFaultNet(t, ctx, true, bin)
	if err := fn.net.WaitAll(ctx, 3); err != nil {
		t.Fatal(err)
	}
	fn.run(ctx, func() (faults.Result, error) { return fn.inj.DoubleSign(ctx, 1, bin) })
	h := walletShowsEvidence(t, ctx, fn, 1)
	explorerShowsEvidence(t, fn, h, 1)
	fn.finish()
}

// walletShowsEvidence checks that the client (behind `tally query block`)
// lists the evidence against node i's validator in one of node0's blocks,
// and returns that block's height.
func walletShowsEvidence(t *testing.T, ctx context.Context, fn *faultNet, i int) int64 {
	t.Helper()
	c, err := fn.net.LedgerClient(0)
	if err != nil {
		t.Fatal(err)
	}
	val := fn.net.Manifest().Nodes[i].Validator
	top, err := fn.net.Height(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	for h := int64(1); h <= top; h++ {
		b, err := c.Block(ctx, h)
		if err != nil {
			t.Fatalf("block %d: %v", h, err)
		}
		for _, e := range b.Evidence {
			if e.Type == "duplicate_vote" && strings.EqualFold(e.Validator, val) && e.Height > 0 && e.Height < h {
				return h
			}
		}
	}
	t.Fatalf("no block of node0 up to %d lists duplicate_vote evidence against node%d's validator %s", top, i, val)
	return 0
}

// explorerShowsEvidence checks that node0's explorer shows block h's
// evidence against node i's validator (skipped without Chromium).
func explorerShowsEvidence(t *testing.T, fn *faultNet, h int64, i int) {
	t.Helper()
	if chromiumPath() == "" {
		t.Log(noChromium)
		return
	}
	b := newBrowser(t, fn.net.APIURL(0))
	b.open("#/block/"+dec(h), "ready")
	val := fn.net.Manifest().Nodes[i].Validator
	found := false
	for _, addr := range b.attrs(`tr[data-evidence="duplicate_vote"] a.hash`, "title") {
		found = found || strings.EqualFold(addr, val)
	}
	if !found {
		t.Errorf("the explorer's block %d shows no double sign by %s: %s", h, val, b.text("#view"))
	}
}
