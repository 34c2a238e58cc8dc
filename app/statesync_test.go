package app

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/tallyledger/tally/ledger"
)

// A validator writes a snapshot every 5 blocks (keeping plenty: blocks come fast here); a full node started with
// state sync restores the newest one (its block store starts there, no
// replay from genesis), then follows the chain with the same balances and
// app hashes.
func TestStateSyncFromSnapshot(t *testing.T) {
	act := newActors(t)
	homeA, homeB, _ := validatorAndFullNode(t, act, true, nil)
	cA, acA, err := LoadConfig(homeA)
	must(t, err)
	acA.SnapshotInterval, acA.SnapshotKeepRecent = 5, 20
	must(t, WriteConfig(homeA, cA, acA))

	a := startNode(t, homeA)
	tx := newTx(t, act.alice).nonce(0).transfer(act.bob, "TALLY", 25).bytes()
	res, err := a.RPC().BroadcastTxSync(context.Background(), tx)
	if err != nil || res.Code != 0 {
		t.Fatalf("transfer: %v %+v", err, res)
	}
	waitTx(t, a, res.Hash)
	waitHeight(t, a, 12)
	waitFor(t, "two snapshots", 30*time.Second, func() bool {
		l, _ := a.App().ListSnapshots(context.Background(), nil)
		return len(l.Snapshots) == 2
	})

	trust := int64(2)
	blk, err := a.RPC().Block(context.Background(), &trust)
	must(t, err)
	cB, acB, err := LoadConfig(homeB)
	must(t, err)
	rpcA := strings.Replace(cA.RPC.ListenAddress, "tcp://", "http://", 1)
	cB.StateSync.Enable = true
	cB.StateSync.RPCServers = []string{rpcA, rpcA}
	cB.StateSync.TrustHeight = trust
	cB.StateSync.TrustHash = fmt.Sprintf("%X", blk.Block.Hash())
	cB.StateSync.DiscoveryTime = 5 * time.Second
	must(t, WriteConfig(homeB, cB, acB))

	b := startNodeLogging(t, homeB, "statesync:info,tally:info,*:error")
	waitFor(t, "the full node to restore a snapshot", time.Minute, func() bool { return b.Ledger().LastHeight() > 0 })
	restored := b.Ledger().LastHeight()
	waitFor(t, "the full node to follow the chain", time.Minute, func() bool { return b.Ledger().LastHeight() > restored+2 })
	// Its block store starts after a snapshot's height (10 or later), not at
	// block 1: it restored instead of replaying.
	if base := b.CometNode().BlockStore().Base(); base < 10 {
		t.Fatalf("full node's block store starts at %d: it replayed instead of restoring a snapshot", base)
	}
	h := b.Ledger().LastHeight()
	waitHeight(t, a, h+1)
	hdr, err := a.RPC().Block(context.Background(), ptr(h+1))
	must(t, err)
	if !bytes.Equal(hdr.Block.AppHash, b.Ledger().View().AppHash()) && b.Ledger().View().Height() == h {
		t.Fatalf("full node app hash %X at %d, validator's header says %X", b.Ledger().View().AppHash(), h, hdr.Block.AppHash)
	}
	bal, err := b.Ledger().View().Balance(addrOf(act.bob), "TALLY")
	must(t, err)
	want, _ := a.Ledger().View().Balance(addrOf(act.bob), "TALLY")
	if bal != want || bal == 0 {
		t.Fatalf("state-synced bob holds %d, validator says %d", bal, want)
	}
}

func ptr[T any](v T) *T { return &v }

// A chunk that differs from the manifest is fetched again from another
// peer, its sender rejected; a snapshot whose app hash differs from the
// verified header's is refused.
func TestApplySnapshotChunkRejectsBadChunk(t *testing.T) {
	src := newTestChain(t, ledger.NewMemStore())
	src.block()
	dir := t.TempDir()
	st := newSnapshotStore(dir, 1, 2, src.app.logger)
	must(t, st.write(src.app.Ledger().View()))
	list, err := st.list()
	must(t, err)
	if len(list) != 1 {
		t.Fatalf("%d snapshots", len(list))
	}
	snap := list[0]
	appHash := src.app.Ledger().LastAppHash()

	dst, _ := openApp(t, ledger.NewMemStore())
	off, _ := dst.OfferSnapshot(context.Background(), &abci.RequestOfferSnapshot{Snapshot: snap, AppHash: bytes.Repeat([]byte{1}, 32)})
	if off.Result != abci.ResponseOfferSnapshot_REJECT {
		t.Fatalf("offer with another app hash: %v", off.Result)
	}
	off, _ = dst.OfferSnapshot(context.Background(), &abci.RequestOfferSnapshot{Snapshot: snap, AppHash: appHash})
	if off.Result != abci.ResponseOfferSnapshot_ACCEPT {
		t.Fatalf("offer: %v", off.Result)
	}
	for i := uint32(0); i < snap.Chunks; i++ {
		chunk, err := st.chunk(snap.Height, i)
		must(t, err)
		bad := bytes.Clone(chunk)
		bad[0] ^= 0xff
		r, _ := dst.ApplySnapshotChunk(context.Background(), &abci.RequestApplySnapshotChunk{Index: i, Chunk: bad, Sender: "liar"})
		if r.Result != abci.ResponseApplySnapshotChunk_RETRY || len(r.RefetchChunks) != 1 || r.RefetchChunks[0] != i ||
			len(r.RejectSenders) != 1 || r.RejectSenders[0] != "liar" {
			t.Fatalf("bad chunk %d: %+v", i, r)
		}
		r, _ = dst.ApplySnapshotChunk(context.Background(), &abci.RequestApplySnapshotChunk{Index: i, Chunk: chunk, Sender: "honest"})
		if r.Result != abci.ResponseApplySnapshotChunk_ACCEPT {
			t.Fatalf("chunk %d: %+v", i, r)
		}
	}
	info, _ := dst.Info(context.Background(), &abci.RequestInfo{})
	if info.LastBlockHeight != int64(snap.Height) || !bytes.Equal(info.LastBlockAppHash, appHash) {
		t.Fatalf("restored app reports %d %X, want %d %X", info.LastBlockHeight, info.LastBlockAppHash, snap.Height, appHash)
	}
}
