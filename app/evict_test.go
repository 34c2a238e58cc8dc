package app

import (
	"context"
	"testing"
	"time"

	"github.com/cometbft/cometbft/p2p"

	"github.com/tallyledger/tally/ledger"
)

// A validator and a full node it allows; governance denies the full node,
// and the validator disconnects it after the block and refuses it after.
func TestDeniedPeerIsEvicted(t *testing.T) {
	act := newActors(t)
	homeA, homeB, idB := validatorAndFullNode(t, act, true, nil)

	a := startNode(t, homeA)
	b := startNode(t, homeB)
	connected := func() bool { return a.Switch().Peers().Has(p2p.ID(idB)) }
	waitFor(t, "the full node to connect", 30*time.Second, connected)
	waitFor(t, "the full node to sync", 30*time.Second, func() bool { return b.Ledger().LastHeight() >= 2 })

	deny := newTx(t, act.admin).nonce(0).propose(ledger.Action{DenyNode: &ledger.NodeRef{NodeID: idB}}, 1000).bytes()
	res, err := a.RPC().BroadcastTxSync(context.Background(), deny)
	if err != nil || res.Code != 0 {
		t.Fatalf("deny-node: %v %+v", err, res)
	}
	waitTx(t, a, res.Hash)
	waitFor(t, "the denied node to be disconnected", 30*time.Second, func() bool { return !connected() })

	// It keeps redialing (A is its persistent peer) and is refused.
	h := a.Ledger().LastHeight()
	waitHeight(t, a, h+5)
	if connected() {
		t.Fatal("the denied node is connected again")
	}
	if ok, _ := a.Ledger().View().NodeAllowed(idB); ok {
		t.Fatal("state still allows the denied node")
	}
}
