package app

import (
	"fmt"
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

// Silent peers. CometBFT pings a peer only every 60 s and gives up on it
// 45 s later, so over a link that silently drops packets (a partition, a
// dead router) a peer stays "connected" for minutes, and after the link
// heals TCP's retransmission backoff keeps the old connection quiet for
// seconds more (measured: 8-10 s before the first block). Consensus
// messages flow between validators several times a second while the chain
// runs and every few seconds while it waits for a round, so a persistent
// peer from which nothing has arrived for peerSilenceLimit is dropped and
// then redialed every redialFastPause (for redialFastFor at most): the
// network resumes within a dial of the heal.
//
// The silence is measured on this node's clock, so a node that was itself
// frozen (SIGSTOP, a paused VM or container, a starved process) would find
// every peer silent the moment it resumes, before it has read what they
// sent meanwhile, and drop healthy connections. A check that comes more
// than stallGap after the previous one is therefore skipped: the next one,
// a second later, sees the peers' buffered messages read.
const (
	peerSilenceLimit = 5 * time.Second
	redialFastPause  = time.Second
	redialFastFor    = 2 * time.Minute
	stallGap         = 2 * time.Second
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
	checked  time.Time // the last silence check
}

type redialState struct {
	since time.Time     // when the peer was first seen disconnected (zero: connected)
	last  time.Time     // when the redialer last dialed it
	pause time.Duration // the pause before the next dial
	fast  time.Time     // until when pause stays redialFastPause (a peer dropped for silence)
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
		if now.After(st.fast) {
			st.pause = min(2*st.pause, r.max)
		}
		out = append(out, a)
	}
	return out
}

// silent returns the persistent peers among peers from which nothing has
// arrived for longer than limit, checked at now; none when the previous
// check was more than stallGap ago (this node, not its peers, was stopped).
func (r *peerRedialer) silent(peers []p2p.Peer, limit time.Duration, now time.Time) []p2p.Peer {
	stalled := !r.checked.IsZero() && now.Sub(r.checked) > stallGap
	r.checked = now
	if stalled {
		return nil
	}
	var out []p2p.Peer
	for _, p := range peers {
		if _, ok := r.state[p.ID()]; ok && p.Status().RecvMonitor.Idle > limit {
			out = append(out, p)
		}
	}
	return out
}

// dropped records that peer id was dropped for silence at now: it is
// redialed every redialFastPause from then on, until it answers or
// redialFastFor passes.
func (r *peerRedialer) dropped(id p2p.ID, now time.Time) {
	if st := r.state[id]; st != nil {
		*st = redialState{since: now, pause: min(redialFastPause, r.max), fast: now.Add(redialFastFor)}
	}
}

// redialLoop dials the persistent peers that the redialer finds due, once
// a second, until the node stops. Dials run in their own goroutines (a
// handshake with a hung peer takes up to the handshake timeout) and end
// with the switch.
func (n *Node) redialLoop(r *peerRedialer) {
	defer n.workers.Done()
	sw := n.cmt.Switch()
	// CometBFT dials each persistent peer at start only after a random
	// pause of up to 3 s (measured: a restarted validator's first peer
	// came 1.9 s after the node was up); dial them all at once instead, so
	// a restarted node rejoins within a second. A dial CometBFT makes
	// meanwhile is refused as a duplicate.
	for _, a := range r.peers {
		if !sw.IsDialingOrExistingAddress(a) {
			go func() { _ = sw.DialPeerWithAddress(a) }()
		}
	}
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
			for _, p := range r.silent(sw.Peers().Copy(), peerSilenceLimit, now) {
				idle := p.Status().RecvMonitor.Idle.Round(time.Millisecond)
				n.logger.Info("dropping silent persistent peer to redial it", "peer", p.ID(), "silent_for", idle.String())
				sw.StopPeerForError(p, fmt.Errorf("nothing received for %s", idle))
				r.dropped(p.ID(), now)
			}
			for _, a := range r.due(sw, now) {
				n.logger.Info("redialing persistent peer", "peer", a.String())
				go func() { _ = sw.DialPeerWithAddress(a) }()
			}
		}
	}
}
