package app

import (
	"context"
	"fmt"
	"testing"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/p2p"

	"github.com/tallyledger/tally/genesis"
	"github.com/tallyledger/tally/ledger"
)

// A validator and a full node it allows; governance denies the full node,
// and the validator disconnects it after the block and refuses it after.
func TestDeniedPeerIsEvicted(t *testing.T) {
	act := newActors(t)
	homeA := initTestHome(t, act)
	cA, acA, err := LoadConfig(homeA)
	if err != nil {
		t.Fatal(err)
	}
	keyA, err := p2p.LoadNodeKey(cA.NodeKeyFile())
	if err != nil {
		t.Fatal(err)
	}

	homeB := t.TempDir()
	p2pB, rpcB, apiB := freePort(t), freePort(t), freePort(t)
	err = InitHome(homeB, "full-node", testChainID, WithConfig(func(c *cmtcfg.Config, ac *Config) {
		c.P2P.ListenAddress = fmt.Sprintf("tcp://127.0.0.1:%d", p2pB)
		c.RPC.ListenAddress = fmt.Sprintf("tcp://127.0.0.1:%d", rpcB)
		ac.APIListenAddr = fmt.Sprintf("tcp://127.0.0.1:%d", apiB)
		c.P2P.PersistentPeers = fmt.Sprintf("%s@%s", keyA.ID(), cA.P2P.ListenAddress[len("tcp://"):])
		c.P2P.AddrBookStrict = false
		c.P2P.AllowDuplicateIP = true
		fastConsensus(c)
	}))
	if err != nil {
		t.Fatal(err)
	}
	cB, _, err := LoadConfig(homeB)
	if err != nil {
		t.Fatal(err)
	}
	keyB, err := p2p.LoadNodeKey(cB.NodeKeyFile())
	if err != nil {
		t.Fatal(err)
	}
	idB := string(keyB.ID())

	// One genesis for both: A's, allowing B too.
	cA.P2P.AllowDuplicateIP = true
	cA.P2P.AddrBookStrict = false
	if err := WriteConfig(homeA, cA, acA); err != nil {
		t.Fatal(err)
	}
	doc, st, err := genesis.Load(cA.GenesisFile())
	if err != nil {
		t.Fatal(err)
	}
	must(t, st.AllowNode(idB))
	must(t, genesis.Write(cA.GenesisFile(), doc, st))
	must(t, genesis.Write(cB.GenesisFile(), doc, st))

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
