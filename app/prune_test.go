package app

import (
	"context"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tallyledger/tally/ledger"
	"github.com/tallyledger/tally/wire"
)

func TestRetainHeight(t *testing.T) {
	dir := t.TempDir()
	a := &App{retainBlocks: 10}
	cases := []struct {
		height, want int64
	}{{5, 0}, {10, 0}, {11, 2}, {100, 91}}
	for _, c := range cases {
		if got := a.retainHeight(c.height); got != c.want {
			t.Errorf("retain 10 at height %d: %d, want %d", c.height, got, c.want)
		}
	}
	// With snapshots, blocks from the oldest kept snapshot on stay.
	a.snapshots = newSnapshotStore(dir, 20, 2, nil)
	if got := a.retainHeight(100); got != 0 {
		t.Errorf("no snapshot yet: retain %d, want 0", got)
	}
	for _, h := range []string{"60", "80"} {
		must(t, os.MkdirAll(filepath.Join(dir, h), 0o700))
	}
	if got := a.retainHeight(100); got != 60 {
		t.Errorf("snapshots at 60 and 80: retain %d, want 60", got)
	}
	if got := a.retainHeight(65); got != 56 {
		t.Errorf("height 65: retain %d, want 56 (below the oldest snapshot)", got)
	}
	if got := (&App{}).retainHeight(1000); got != 0 {
		t.Errorf("retain_blocks 0: retain %d", got)
	}
}

// A node keeping its last 5 blocks prunes older ones: CometBFT says which
// height is the lowest it has, while the ledger API still finds a
// transaction of a pruned block (the ledger's own index).
func TestPrunedBlocksAndTxLookup(t *testing.T) {
	act := newActors(t)
	home := initTestHome(t, act)
	c, ac, err := LoadConfig(home)
	must(t, err)
	ac.RetainBlocks, ac.SnapshotInterval = 5, 0
	must(t, WriteConfig(home, c, ac))
	n := startNode(t, home)
	tx := newTx(t, act.alice).nonce(0).transfer(act.bob, "TALLY", 3).bytes()
	res, err := n.RPC().BroadcastTxSync(context.Background(), tx)
	if err != nil || res.Code != 0 {
		t.Fatalf("broadcast: %v %+v", err, res)
	}
	waitTx(t, n, res.Hash)
	waitFor(t, "blocks to be pruned", time.Minute, func() bool { return n.CometNode().BlockStore().Base() > 3 })

	one := int64(1)
	_, err = n.RPC().Block(context.Background(), &one)
	if err == nil || !strings.Contains(err.Error(), "lowest height is") {
		t.Fatalf("block 1 after pruning: %v", err)
	}
	var txr wire.TxResult
	newAPIClient(t, n).result("tx", map[string]any{"hash": hex.EncodeToString(res.Hash)}, &txr)
	if txr.Code != 0 || txr.Hash != ledger.TxHashString(tx) {
		t.Fatalf("tx of a pruned block: %+v", txr)
	}
}
