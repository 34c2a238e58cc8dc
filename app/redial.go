package app

import (
	"time"

	cmtstrings "github.com/cometbft/cometbft/libs/strings"
	"github.com/cometbft/cometbft/p2p"
)

// Redialing of persistent peers. CometBFT redials a persistent peer it
// lost, but its redial loop ends for good when a dial succeeds and the
// peer then closes the connection at once, which is what a node whose ID
// the network's peer filter refuses sees: the remote side completes the
// handshake, asks its app, and hangs up. CometBFT's loop treats the dial
// as a success and the new loop started by the disconnection races with
// the old one's end; within a second or so one of them loses and nobody
// redials. Such a node would then never join, even after governance allows
// it. The node therefore watches its configured persistent peers itself
// and dials those that stay disconnected, backing off from
// redialMinPause to a ceiling (persistent_peers_max_dial_period when set,
// else redialMaxPause).
const (
	redialMinPause = 5 * time.Second
	redialMaxPause = 30 * time.Second
)

// redialSwitch is the part of CometBFT's switch the redialer uses.
type redialSwitch interface {
	IsRunning() bool
	Peers() p2p.IPeerSet
	IsDialingOrExistingAddress(addr *p2p.NetAddress) bool
	DialPeerWithAddress(addr *p2p.NetAddress) error
}

// peerRedialer decides when to dial which persistent peer.
type peerRedialer struct {
	peers    []*p2p.NetAddress
	min, max time.Duration
	state    map[p2p.ID]*redialState
}

type redialState struct {
	since time.Time     // when the peer was first seen disconnected (zero: connected)
	last  time.Time     // when the redialer last dialed it
	pause time.Duration // the pause before the next dial
}

// newPeerRedialer watches the persistent peers in list (CometBFT's
// comma-separated id@host:port form), except self. maxPause caps the pause
// between dials; 0 means redialMaxPause.
func newPeerRedialer(list string, self p2p.ID, maxPause time.Duration) *peerRedialer {
	if maxPause <= 0 {
		maxPause = redialMaxPause
	}
	r := &peerRedialer{min: min(redialMinPause, maxPause), max: maxPause, state: map[p2p.ID]*redialState{}}
	// CometBFT has already refused a malformed list at start-up.
	addrs, _ := p2p.NewNetAddressStrings(cmtstrings.SplitAndTrimEmpty(list, ",", " "))
	for _, a := range addrs {
		if a.ID != self {
			r.peers = append(r.peers, a)
			r.state[a.ID] = &redialState{}
		}
	}
	return r
}

// due returns the peers to dial at now: those disconnected (and not being
// dialed) for a full pause since they were first seen disconnected or
// since the last dial, whichever is later. Each dial doubles the peer's
// pause up to the ceiling; a connected peer starts over.
func (r *peerRedialer) due(sw redialSwitch, now time.Time) []*p2p.NetAddress {
	var out []*p2p.NetAddress
	for _, a := range r.peers {
		st := r.state[a.ID]
		if sw.Peers().Has(a.ID) {
			*st = redialState{}
			continue
		}
		if st.since.IsZero() {
			st.since, st.pause = now, r.min
			continue
		}
		from := st.since
		if st.last.After(from) {
			from = st.last
		}
		if now.Sub(from) < st.pause || sw.IsDialingOrExistingAddress(a) {
			continue
		}
		st.last = now
		st.pause = min(2*st.pause, r.max)
		out = append(out, a)
	}
	return out
}

// redialLoop dials the persistent peers that the redialer finds due, once
// a second, until the node stops. Dials run in their own goroutines (a
// handshake with a hung peer takes up to the handshake timeout) and end
// with the switch.
func (n *Node) redialLoop(r *peerRedialer) {
	defer n.workers.Done()
	sw := n.cmt.Switch()
	tick := time.NewTicker(min(time.Second, r.min))
	defer tick.Stop()
	for {
		select {
		case <-n.quit:
			return
		case now := <-tick.C:
			if !sw.IsRunning() {
				continue
			}
			for _, a := range r.due(sw, now) {
				n.logger.Info("redialing persistent peer", "peer", a.String())
				go func() { _ = sw.DialPeerWithAddress(a) }()
			}
		}
	}
}
