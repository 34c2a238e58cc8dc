package app

import (
	"time"

	"github.com/tallyledger/tally/ledger"
)

// Peers: CometBFT asks the ledger about a peer only when it connects, so
// after a block that denies a node the node assembly disconnects it
// itself; and the ledger API lists the peers with the allowed nodes.

// afterCommit runs inside the ABCI Commit: it only signals the eviction
// loop, which must not run under the ABCI lock (stopping a peer waits for
// its reactors, which may wait for the app).
func (n *Node) afterCommit(int64) {
	n.lastCommitAt.Store(time.Now().UnixNano())
	if !n.cfg.FilterPeers {
		return
	}
	select {
	case n.evict <- struct{}{}:
	default: // a check is already due
	}
}

func (n *Node) evictLoop() {
	defer n.workers.Done()
	for {
		select {
		case <-n.quit:
			return
		case <-n.evict:
			n.evictDeniedPeers()
		}
	}
}

// evictDeniedPeers disconnects connected peers whose node ID the committed
// state no longer allows: CometBFT filters peers only when they connect.
func (n *Node) evictDeniedPeers() {
	v := n.ledger.View()
	sw := n.cmt.Switch()
	for _, p := range sw.Peers().Copy() {
		id := string(p.ID())
		ok, err := n.app.nodeAllowed(v, id)
		if err != nil {
			n.logger.Error("cannot check peer against the allowed nodes", "peer", id, "err", err)
			continue
		}
		if !ok {
			n.logger.Info("disconnecting peer: node no longer allowed", "peer", id, "height", v.Height())
			sw.StopPeerGracefully(p)
		}
	}
}

// peerIDs lists the node IDs of the connected peers.
func (n *Node) peerIDs() []string {
	peers := n.cmt.Switch().Peers().Copy()
	ids := make([]string, len(peers))
	for i, p := range peers {
		ids[i] = string(p.ID())
	}
	return ids
}

// allowedNodes lists the node IDs the ledger allows to connect.
func (n *Node) allowedNodes(v *ledger.View) ([]string, error) { return n.app.allowedNodes(v) }
