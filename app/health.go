package app

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// Health is the node's answer to GET /health: whether it is synced, has
// peers and sees blocks being committed, and if not, why.
type Health struct {
	// Healthy is true when Reasons is empty (HTTP 200; 503 otherwise).
	Healthy bool     `json:"healthy"`
	Reasons []string `json:"reasons,omitempty"`
	// Height is the last committed height.
	Height     int64 `json:"height,string"`
	CatchingUp bool  `json:"catching_up"`
	Peers      int   `json:"peers"`
	// LastBlockAgeMillis is how long ago this node last committed a block
	// (or started, before its first block).
	LastBlockAgeMillis int64 `json:"last_block_age_ms,string"`
	// MaxBlockAgeMillis is the age above which the node reports itself
	// stalled; 0 when blocks are only made for transactions.
	MaxBlockAgeMillis int64 `json:"max_block_age_ms,string"`
}

// healthInputs is what a health check reads from a running node.
type healthInputs struct {
	height      int64
	catchingUp  bool
	peers       int
	needsPeers  bool // false for the only validator of its network
	lastBlockAt time.Time
	maxAge      time.Duration // 0: no stall check
	diskLow     bool          // free space within twice the margin
	diskFree    int64         // bytes
	minFree     int64         // bytes
}

// judgeHealth turns the inputs into a verdict at time now.
func judgeHealth(in healthInputs, now time.Time) Health {
	age := now.Sub(in.lastBlockAt)
	h := Health{Height: in.height, CatchingUp: in.catchingUp, Peers: in.peers,
		LastBlockAgeMillis: age.Milliseconds(), MaxBlockAgeMillis: in.maxAge.Milliseconds()}
	if in.catchingUp {
		h.Reasons = append(h.Reasons, fmt.Sprintf("catching up: syncing blocks from peers (at height %d)", in.height))
	}
	if in.needsPeers && in.peers == 0 {
		h.Reasons = append(h.Reasons, "no peers: the node is cut off from the network")
	}
	if in.maxAge > 0 && !in.catchingUp && age > in.maxAge {
		h.Reasons = append(h.Reasons, fmt.Sprintf("no new block for %s (last committed height %d; expected one at least every %s)",
			age.Truncate(100*time.Millisecond), in.height, in.maxAge))
	}
	if in.diskLow {
		h.Reasons = append(h.Reasons, fmt.Sprintf("data disk almost full: %s free; the node stops below %s (min_free_disk_mib)", mib(in.diskFree), mib(in.minFree)))
	}
	h.Healthy = len(h.Reasons) == 0
	return h
}

// maxBlockAge is how long the node may go without committing a block
// before it reports itself stalled: several block times, a block time being
// a full round's timeouts plus timeout_commit. With create_empty_blocks off
// (and no interval) blocks come only with transactions, so there is no
// bound.
func (n *Node) maxBlockAge() time.Duration {
	cc := n.cfg.Consensus
	if !cc.CreateEmptyBlocks && cc.CreateEmptyBlocksInterval == 0 {
		return 0
	}
	round := cc.TimeoutPropose + cc.TimeoutPrevote + cc.TimeoutPrecommit + cc.TimeoutCommit + cc.CreateEmptyBlocksInterval
	return max(5*round, 10*time.Second)
}

// Health reports whether the node is synced, has peers and sees blocks
// being committed. A network's only validator needs no peers.
func (n *Node) Health() Health {
	n.mu.Lock()
	started := n.started
	n.mu.Unlock()
	in := healthInputs{
		height:      n.ledger.LastHeight(),
		lastBlockAt: time.Unix(0, n.lastCommitAt.Load()),
		maxAge:      n.maxBlockAge(),
		needsPeers:  !n.soleValidator(),
		diskFree:    n.diskFree.Load(),
		minFree:     n.space.min,
	}
	in.diskLow = n.space.low(in.diskFree)
	if started {
		in.catchingUp = n.cmt.ConsensusReactor().WaitSync()
		in.peers = n.cmt.Switch().Peers().Size()
	}
	h := judgeHealth(in, time.Now())
	if !started {
		h.Healthy = false
		h.Reasons = append(h.Reasons, "node not started")
	}
	return h
}

// soleValidator reports whether this node is the one validator of the
// committed validator set.
func (n *Node) soleValidator() bool {
	vals, err := n.ledger.View().Validators()
	if err != nil || len(vals) != 1 {
		return false
	}
	pk, err := n.cmt.PrivValidator().GetPubKey()
	if err != nil {
		return false
	}
	return bytes.Equal(pk.Bytes(), vals[0].PubKey)
}

// serveHealth answers GET /health: 200 with the report when healthy, 503
// with the reasons otherwise.
func (n *Node) serveHealth(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "use GET /health", http.StatusMethodNotAllowed)
		return
	}
	h := n.Health()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if h.Healthy {
		w.WriteHeader(http.StatusOK)
	} else {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	if r.Method == http.MethodHead {
		return
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(h) // the client may have gone; nothing to do about it
}
