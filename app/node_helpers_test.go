package app

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/p2p"

	"github.com/tallyledger/tally/genesis"
	"github.com/tallyledger/tally/internal/freeport"
	"github.com/tallyledger/tally/internal/testutil"
)

// freePort returns a TCP port that was free a moment ago, reserved for
// this test process (see package freeport).
func freePort(t testing.TB) int {
	t.Helper()
	// Not an ephemeral port (127.0.0.1:0): an outgoing connection could
	// take it while the node is down between a stop and a restart. The
	// port stays reserved for this process.
	p, err := freeport.Find(1, func(base int) []int { return []int{base} })
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// fastConsensus shortens CometBFT's timeouts for a single validator on a
// small machine.
func fastConsensus(c *cmtcfg.Config) {
	c.Consensus.TimeoutPropose = 500 * time.Millisecond
	c.Consensus.TimeoutProposeDelta = 100 * time.Millisecond
	c.Consensus.TimeoutPrevote = 200 * time.Millisecond
	c.Consensus.TimeoutPrecommit = 200 * time.Millisecond
	c.Consensus.TimeoutCommit = 150 * time.Millisecond
}

// initTestHome makes a node home on free localhost ports whose genesis
// holds the test actors.
func initTestHome(t testing.TB, act actors) string {
	t.Helper()
	home := t.TempDir()
	p2p, rpc, api := freePort(t), freePort(t), freePort(t)
	err := InitHome(home, "test-node", testChainID,
		WithConfig(func(c *cmtcfg.Config, ac *Config) {
			c.P2P.ListenAddress = fmt.Sprintf("tcp://127.0.0.1:%d", p2p)
			c.RPC.ListenAddress = fmt.Sprintf("tcp://127.0.0.1:%d", rpc)
			ac.APIListenAddr = fmt.Sprintf("tcp://127.0.0.1:%d", api)
			fastConsensus(c)
		}),
		WithGenesis(func(s *genesis.AppState) error {
			g := act.genesisState(t)
			s.Accounts, s.Assets, s.Balances = g.Accounts, g.Assets, g.Balances
			return nil
		}))
	if err != nil {
		t.Fatal(err)
	}
	return home
}

// startNode opens and starts the node at home and stops it when the test
// ends.
func startNode(t testing.TB, home string) *Node {
	t.Helper()
	return startNodeLogging(t, home, "error")
}

// startNodeLogging is startNode with the given log level (shown if the
// test fails).
func startNodeLogging(t testing.TB, home, level string) *Node {
	t.Helper()
	logs := &testutil.SyncBuffer{}
	n, err := NewNode(home, NodeOptions{LogLevel: level, Logger: logs})
	if err != nil {
		t.Fatalf("NewNode: %v", err)
	}
	if err := n.Start(); err != nil {
		n.Stop()
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := n.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
		if t.Failed() {
			t.Logf("node logs:\n%s", logs.String())
		}
	})
	return n
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitHeight waits until the node's ledger has committed height h.
func waitHeight(t testing.TB, n *Node, h int64) {
	t.Helper()
	waitFor(t, fmt.Sprintf("height %d", h), 30*time.Second, func() bool { return n.Ledger().LastHeight() >= h })
}

// waitTx waits until the transaction with the given hash is committed (in
// the ledger's own index).
func waitTx(t testing.TB, n *Node, hash []byte) {
	t.Helper()
	waitFor(t, fmt.Sprintf("tx %X", hash), 30*time.Second, func() bool {
		rec, err := n.Ledger().View().TxByHash([32]byte(hash))
		return err == nil && rec != nil
	})
}

// validatorAndFullNode prepares two homes: a validator A (initTestHome) and
// a full node B whose persistent peer is A, both with A's genesis; B's node
// ID is in the allowed list only if allowB. tweakB edits B's config.
func validatorAndFullNode(t *testing.T, act actors, allowB bool, tweakB func(*cmtcfg.Config)) (homeA, homeB, idB string) {
	t.Helper()
	homeA = initTestHome(t, act)
	cA, acA, err := LoadConfig(homeA)
	must(t, err)
	keyA, err := p2p.LoadNodeKey(cA.NodeKeyFile())
	must(t, err)
	cA.P2P.AllowDuplicateIP = true
	cA.P2P.AddrBookStrict = false
	must(t, WriteConfig(homeA, cA, acA))

	homeB = t.TempDir()
	must(t, InitHome(homeB, "full-node", testChainID, WithConfig(func(c *cmtcfg.Config, ac *Config) {
		c.P2P.ListenAddress = fmt.Sprintf("tcp://127.0.0.1:%d", freePort(t))
		c.RPC.ListenAddress = fmt.Sprintf("tcp://127.0.0.1:%d", freePort(t))
		ac.APIListenAddr = fmt.Sprintf("tcp://127.0.0.1:%d", freePort(t))
		c.P2P.PersistentPeers = fmt.Sprintf("%s@%s", keyA.ID(), strings.TrimPrefix(cA.P2P.ListenAddress, "tcp://"))
		c.P2P.AddrBookStrict = false
		c.P2P.AllowDuplicateIP = true
		fastConsensus(c)
		if tweakB != nil {
			tweakB(c)
		}
	})))
	cB, _, err := LoadConfig(homeB)
	must(t, err)
	keyB, err := p2p.LoadNodeKey(cB.NodeKeyFile())
	must(t, err)
	idB = string(keyB.ID())

	doc, st, err := genesis.Load(cA.GenesisFile())
	must(t, err)
	if allowB {
		must(t, st.AllowNode(idB))
		must(t, genesis.Write(cA.GenesisFile(), doc, st))
	} else if slices.Contains(st.AllowedNodes, idB) {
		t.Fatal("genesis allows the full node")
	}
	must(t, genesis.Write(cB.GenesisFile(), doc, st))
	return homeA, homeB, idB
}
